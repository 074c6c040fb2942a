-- libticketing schema, SQLite dialect. Applied once, in a transaction, by SqlDatabase::Migrate().
-- Times are milliseconds since the epoch; enums are small integers (see src/schema.hpp).
-- Each statement ends with ';' at the end of a line (the migration runner splits there).

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    version BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    type SMALLINT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
-- ListLedger: a user's entries newest first.
CREATE INDEX ledger_user_id ON ledger (user_id, id);

CREATE TABLE concert (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    reservation_opens_at BIGINT NOT NULL,
    reservation_closes_at BIGINT NOT NULL
);
-- ListConcertsOpenAt: closes_at > now skips every past concert, the bulk of the table over time.
CREATE INDEX concert_window ON concert (reservation_closes_at, reservation_opens_at);

CREATE TABLE schedule (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    concert_id BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    price BIGINT NOT NULL,
    total_seats INTEGER NOT NULL
);
-- ListSchedules: by concert, in start order.
CREATE INDEX schedule_concert ON schedule (concert_id, starts_at, id);

CREATE TABLE seat (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    price BIGINT NOT NULL,
    status SMALLINT NOT NULL DEFAULT 0,
    held_by BIGINT NOT NULL DEFAULT 0,
    held_until BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0
);
-- ListSeats / CountAvailableSeats, and a seat number exists once per schedule.
CREATE UNIQUE INDEX seat_schedule_number ON seat (schedule_id, number);

CREATE TABLE reservation (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    concert_id BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    live_token TEXT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
-- One live hold per queue token (NULL once the hold is not live).
CREATE UNIQUE INDEX reservation_live_token ON reservation (live_token);
-- ListExpiredHolds: HELD rows by expiry.
CREATE INDEX reservation_expiry ON reservation (status, expires_at);

CREATE TABLE reservation_seat (
    reservation_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    seat_id BIGINT NOT NULL,
    number INTEGER NOT NULL,
    price BIGINT NOT NULL,
    PRIMARY KEY (reservation_id, position)
);

CREATE TABLE payment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reservation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX payment_reservation ON payment (reservation_id);

CREATE TABLE ticket (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    concert_id BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    seat_id BIGINT NOT NULL,
    seat_number INTEGER NOT NULL,
    price BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
-- A seat is sold once: at most one ISSUED (status 0) ticket per seat.
CREATE UNIQUE INDEX ticket_live_seat ON ticket (seat_id) WHERE status = 0;
CREATE INDEX ticket_payment ON ticket (payment_id, id);
CREATE INDEX ticket_user ON ticket (user_id, id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    aggregate TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status SMALLINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX outbox_event_id ON outbox (event_id);
-- ListPendingOutboxEvents / CountOutbox: by status in store order.
CREATE INDEX outbox_status ON outbox (status, id);

CREATE TABLE inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency (
    user_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

-- Fencing tokens of the Redis lease strategy: the newest token that wrote each resource.
CREATE TABLE lock_fence (
    resource TEXT NOT NULL PRIMARY KEY,
    token BIGINT NOT NULL
);
