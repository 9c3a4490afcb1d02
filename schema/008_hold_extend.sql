-- Extending a hold (RGAA: time limits can be extended). A person who
-- needs more time to find the code we sent can add the hold's length
-- again, up to a few times, while the hold still runs.

ALTER TABLE bookings
    ADD COLUMN hold_extensions integer NOT NULL DEFAULT 0
        CONSTRAINT bookings_hold_extensions_valid CHECK (hold_extensions >= 0);

-- Adds p_minutes to a running hold, at most p_max times per booking.
-- Outcomes: 'extended', 'too_many' (already extended p_max times),
-- 'expired' (the hold has ended), 'not_held' (confirmed, cancelled…),
-- 'not_found'.
CREATE FUNCTION booking_extend(p_token text, p_minutes integer, p_max integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql
AS $$
DECLARE
    v_id bigint := booking_by_token(p_token);
    b    bookings%ROWTYPE;
BEGIN
    IF p_minutes IS NULL OR p_minutes < 1 OR p_minutes > 120 THEN
        RAISE EXCEPTION 'booking_extend: minutes out of range: %', p_minutes
            USING ERRCODE = '22023';
    END IF;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    SELECT * INTO b FROM bookings WHERE id = v_id FOR UPDATE;
    IF b.status <> 'held' THEN
        RETURN QUERY SELECT 'not_held'::text;
    ELSIF b.hold_expires_at <= now() THEN
        RETURN QUERY SELECT 'expired'::text;
    ELSIF b.hold_extensions >= p_max THEN
        RETURN QUERY SELECT 'too_many'::text;
    ELSE
        UPDATE bookings
           SET hold_expires_at = hold_expires_at + make_interval(mins => p_minutes),
               hold_extensions = hold_extensions + 1
         WHERE id = v_id;
        RETURN QUERY SELECT 'extended'::text;
    END IF;
END
$$;
COMMENT ON FUNCTION booking_extend(text, integer, integer) IS
    'Extends a running hold by p_minutes, at most p_max times (RGAA: adjustable time limits).';
