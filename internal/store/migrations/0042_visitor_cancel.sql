-- Cancelling a visitor's ride-hailing booking from our side (R-19, issue 22): when, by whom, why.
-- The provider's cancellation fee, if any, is the booking's fee_fen.
ALTER TABLE visitor_bookings ADD COLUMN cancelled_at {{ts}};
ALTER TABLE visitor_bookings ADD COLUMN cancelled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE visitor_bookings ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
