-- libticketing schema, MySQL/MariaDB dialect (InnoDB, utf8mb4). Applied by SqlDatabase::Migrate()
-- under GET_LOCK. DDL commits implicitly in MySQL, so every statement is re-runnable (IF NOT EXISTS).
-- Times are milliseconds since the epoch; enums are small integers (see src/schema.hpp). Key columns
-- compared by clients (tokens, idempotency keys, event ids) are VARBINARY: exact bytes, no trailing-space
-- padding as in the utf8mb4 collations.
-- Each statement ends with ';' at the end of a line (the migration runner splits there).

CREATE TABLE IF NOT EXISTS users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    version BIGINT NOT NULL DEFAULT 0
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ledger (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    type SMALLINT NOT NULL,
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- ListLedger: a user's entries newest first.
    KEY ledger_user_id (user_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS concert (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title VARCHAR(500) NOT NULL,
    reservation_opens_at BIGINT NOT NULL,
    reservation_closes_at BIGINT NOT NULL,
    -- ListConcertsOpenAt: closes_at > now skips every past concert, the bulk of the table over time.
    KEY concert_window (reservation_closes_at, reservation_opens_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS schedule (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    concert_id BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    price BIGINT NOT NULL,
    total_seats INT NOT NULL,
    -- ListSchedules: by concert, in start order.
    KEY schedule_concert (concert_id, starts_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS seat (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    schedule_id BIGINT NOT NULL,
    number INT NOT NULL,
    price BIGINT NOT NULL,
    status SMALLINT NOT NULL DEFAULT 0,
    held_by BIGINT NOT NULL DEFAULT 0,
    held_until BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 0,
    -- ListSeats / CountAvailableSeats, and a seat number exists once per schedule.
    UNIQUE KEY seat_schedule_number (schedule_id, number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS reservation (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT NOT NULL,
    concert_id BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    live_token VARBINARY(255) NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    -- One live hold per queue token (NULL once the hold is not live).
    UNIQUE KEY reservation_live_token (live_token),
    -- ListExpiredHolds: HELD rows by expiry.
    KEY reservation_expiry (status, expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS reservation_seat (
    reservation_id BIGINT NOT NULL,
    position INT NOT NULL,
    seat_id BIGINT NOT NULL,
    number INT NOT NULL,
    price BIGINT NOT NULL,
    PRIMARY KEY (reservation_id, position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS payment (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    reservation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    KEY payment_reservation (reservation_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ticket (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    payment_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    concert_id BIGINT NOT NULL,
    schedule_id BIGINT NOT NULL,
    seat_id BIGINT NOT NULL,
    seat_number INT NOT NULL,
    price BIGINT NOT NULL,
    status SMALLINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    -- A seat is sold once: the seat id of an ISSUED (status 0) ticket, NULL otherwise, is unique.
    live_seat_id BIGINT AS (IF(status = 0, seat_id, NULL)) STORED,
    UNIQUE KEY ticket_live_seat (live_seat_id),
    KEY ticket_payment (payment_id, id),
    KEY ticket_user (user_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id VARBINARY(191) NOT NULL,
    aggregate VARCHAR(255) NOT NULL,
    type VARCHAR(255) NOT NULL,
    payload LONGTEXT NOT NULL,
    status SMALLINT NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0,
    UNIQUE KEY outbox_event_id (event_id),
    -- ListPendingOutboxEvents / CountOutbox: by status in store order.
    KEY outbox_status (status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS inbox (
    consumer VARBINARY(191) NOT NULL,
    event_id VARBINARY(191) NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS idempotency (
    user_id BIGINT NOT NULL,
    idem_key VARBINARY(255) NOT NULL,
    request_hash TEXT NOT NULL,
    response LONGTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Fencing tokens of the Redis lease strategy: the newest token that wrote each resource.
CREATE TABLE IF NOT EXISTS lock_fence (
    resource VARBINARY(255) NOT NULL PRIMARY KEY,
    token BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
