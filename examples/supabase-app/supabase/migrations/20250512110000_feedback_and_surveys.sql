-- In-app feedback board and product-market-fit surveys.

CREATE TABLE public.feedback_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id uuid REFERENCES public.users (id) ON DELETE SET NULL,
  title text NOT NULL,
  description text,
  category text NOT NULL DEFAULT 'idea',
  status text NOT NULL DEFAULT 'open',
  priority integer,
  vote_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_feedback_items_org_created ON public.feedback_items (organization_id, created_at DESC);
CREATE INDEX idx_feedback_items_org_status ON public.feedback_items (organization_id, status, created_at DESC);
CREATE INDEX idx_feedback_items_user_id ON public.feedback_items (user_id);
CREATE INDEX idx_feedback_items_category ON public.feedback_items (category);
CREATE INDEX idx_feedback_items_open_priority ON public.feedback_items (priority) WHERE status <> 'closed';
CREATE INDEX idx_feedback_items_votes ON public.feedback_items (vote_count DESC);
CREATE INDEX idx_feedback_items_search ON public.feedback_items
  USING gin (to_tsvector('english', title || ' ' || coalesce(description, '')));

CREATE TABLE public.pmf_surveys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  disappointment_level text NOT NULL,
  comment text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_pmf_surveys_org_created ON public.pmf_surveys (organization_id, created_at DESC);
CREATE INDEX idx_pmf_surveys_user_id ON public.pmf_surveys (user_id);
CREATE INDEX idx_pmf_surveys_level ON public.pmf_surveys (disappointment_level);
