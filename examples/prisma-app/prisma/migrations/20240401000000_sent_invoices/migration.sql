-- Hand-written: reminders count the invoices still waiting for payment.
CREATE INDEX "Invoice_customerId_sent_idx" ON "Invoice"("customerId") WHERE "status" = 'SENT';
