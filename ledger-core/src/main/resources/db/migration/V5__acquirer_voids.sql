-- The simulated acquirer voids a request its caller gave up on (the processor, after its attempts timed
-- out): an approval that came too late is released, and one still on its way finds the void and charges
-- nothing. A failed payment never leaves money reserved.

alter table acquirer_charges drop constraint acquirer_charges_outcome_check;
alter table acquirer_charges add constraint acquirer_charges_outcome_check
    check (outcome in ('approved', 'declined', 'voided'));
alter table acquirer_charges add column voided_at timestamptz;
