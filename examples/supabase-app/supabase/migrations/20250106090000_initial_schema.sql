-- Core tenancy: organizations, their users, the sites that embed the widget, and invitations.

CREATE EXTENSION IF NOT EXISTS "pgcrypto";

CREATE TABLE public.organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  plan text NOT NULL DEFAULT 'trial',
  stripe_customer_id text,
  subscription_status text NOT NULL DEFAULT 'trialing',
  trial_ends_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_organizations_stripe_customer_id ON public.organizations (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;
CREATE INDEX idx_organizations_subscription_status ON public.organizations (subscription_status);
CREATE INDEX idx_organizations_trial_ends_at ON public.organizations (trial_ends_at) WHERE subscription_status = 'trialing';

CREATE TABLE public.users (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  full_name text,
  role text NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent', 'platform_admin')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_users_organization_id ON public.users (organization_id);

CREATE TABLE public.sites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  domain text NOT NULL,
  widget_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_sites_organization_id ON public.sites (organization_id);

CREATE TABLE public.agent_profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL UNIQUE REFERENCES public.users (id) ON DELETE CASCADE,
  display_name text NOT NULL,
  status text NOT NULL DEFAULT 'offline',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX idx_agent_profiles_organization_id ON public.agent_profiles (organization_id);

CREATE TABLE public.invites (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL DEFAULT 'agent',
  token text NOT NULL,
  invited_by uuid REFERENCES public.users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL DEFAULT now() + interval '7 days',
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX idx_invites_token ON public.invites (token);
CREATE INDEX idx_invites_organization_id ON public.invites (organization_id);
CREATE INDEX idx_invites_invited_by ON public.invites (invited_by);

CREATE TABLE public.dispositions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  color text NOT NULL DEFAULT '#64748b',
  sort_order integer NOT NULL DEFAULT 0,
  UNIQUE (organization_id, name)
);
