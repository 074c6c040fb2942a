// The unit of work's transaction state; each repository's SQL is in its *_repository.cpp.
#include "unit_of_work.hpp"

#include <stdexcept>

namespace ticketing::sql::detail {

SqlUnitOfWork::SqlUnitOfWork(
    std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode, WriterGate::Turn turn
)
    : pool_(std::move(pool)),
      dialect_(*pool_->endpoint().dialect),
      session_(std::move(session)),
      turn_(std::move(turn)),
      mode_(mode),
      untried_(mode == ports::TxMode::kRead && dialect_.begin_read.empty()) {}

SqlUnitOfWork::~SqlUnitOfWork() {
    // A connection already known dead is dropped without a ROLLBACK that could block on it.
    const bool in_transaction = mode_ != ports::TxMode::kRead || !dialect_.begin_read.empty();
    if (session_ && !finished_ && !discard_ && in_transaction) {
        try {
            *session_ << "ROLLBACK";
        } catch (...) {
            discard_ = true;  // unknown state: never hand this connection out again
        }
    }
    ReleaseSession();
}

Result<void> SqlUnitOfWork::Commit() {
    if (mode_ == ports::TxMode::kRead) return MakeError(Errc::kInternal, "a read unit of work cannot commit");
    auto done = Write<void>("commit", [](soci::session& sql) -> Result<void> {
        sql << "COMMIT";
        return {};
    });
    if (!done) return done;
    finished_ = true;
    ReleaseSession();
    return {};
}

std::string SqlUnitOfWork::ForUpdate() const {
    return mode_ == ports::TxMode::kPessimistic ? std::string(dialect_.for_update) : std::string{};
}

Result<void> SqlUnitOfWork::AllWritten(long long affected, std::size_t rows, std::string_view table) {
    if (affected == static_cast<long long>(rows)) return {};
    Error lost{Errc::kAborted, "a row of " + std::string(table) + " changed since it was read"};
    // Some rows are written already: nothing after this may commit.
    if (affected > 0) failed_ = lost;
    return tl::unexpected<Error>(std::move(lost));
}

std::int64_t SqlUnitOfWork::LastId(soci::session& sql) {
    long long id = 0;
    if (!sql.get_last_insert_id("", id)) throw std::logic_error("the backend cannot tell the inserted id");
    return static_cast<std::int64_t>(id);
}

Result<void> SqlUnitOfWork::Reconnect() {
    pool_->Release(std::move(session_), false);
    auto fresh = pool_->Acquire();
    if (!fresh) return Forward(fresh.error());
    session_ = std::move(*fresh);
    return {};
}

void SqlUnitOfWork::ReleaseSession() {
    if (session_) pool_->Release(std::move(session_), !discard_);
    turn_.reset();
}

std::unique_ptr<ports::UnitOfWork> MakeUnitOfWork(
    std::shared_ptr<Pool> pool, std::unique_ptr<soci::session> session, ports::TxMode mode, WriterGate::Turn turn
) {
    return std::make_unique<SqlUnitOfWork>(std::move(pool), std::move(session), mode, std::move(turn));
}

}  // namespace ticketing::sql::detail
