// Payments and tickets (PaymentRepository).
#include <algorithm>

#include "statements.hpp"
#include "unit_of_work.hpp"

namespace ticketing::sql::detail {
namespace {

struct PaymentRow {
    static constexpr std::string_view kColumns = "id, reservation_id, user_id, amount, status, created_at, version";
    Payment payment;
    int status{0};
    std::int64_t created_at{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(payment.id.value), soci::into(payment.reservation_id.value), soci::into(payment.user_id.value),
            soci::into(payment.amount), soci::into(status), soci::into(created_at), soci::into(payment.version);
    }
    Payment ToEntity() const {
        auto out = payment;
        out.status = static_cast<PaymentStatus>(status);
        out.created_at = FromMs(created_at);
        return out;
    }
};

struct TicketRow {
    static constexpr std::string_view kColumns =
        "id, payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, status, version";
    Ticket ticket;
    int status{0};
    void Bind(soci::details::prepare_temp_type& p) {
        p, soci::into(ticket.id.value), soci::into(ticket.payment_id.value), soci::into(ticket.user_id.value),
            soci::into(ticket.concert_id.value), soci::into(ticket.schedule_id.value), soci::into(ticket.seat_id.value),
            soci::into(ticket.seat_number), soci::into(ticket.price), soci::into(status), soci::into(ticket.version);
    }
    Ticket ToEntity() const {
        auto out = ticket;
        out.status = static_cast<TicketStatus>(status);
        return out;
    }
};

}  // namespace

Result<PaymentId> SqlUnitOfWork::InsertPayment(const Payment& p) {
    return Write<PaymentId>("insert payment", [&](soci::session& sql) -> Result<PaymentId> {
        Exec(
            sql,
            "INSERT INTO payment (reservation_id, user_id, amount, status, created_at, version) "
            "VALUES (:reservation, :user, :amount, :status, :created, 0)",
            p.reservation_id.value,
            p.user_id.value,
            p.amount,
            static_cast<int>(p.status),
            ToMs(p.created_at)
        );
        return PaymentId{LastId(sql)};
    });
}

Result<std::optional<Payment>> SqlUnitOfWork::FindPayment(PaymentId id) {
    return FindPaymentImpl(id, false);
}

Result<std::optional<Payment>> SqlUnitOfWork::FindPaymentForUpdate(PaymentId id) {
    return FindPaymentImpl(id, true);
}

Result<void> SqlUnitOfWork::UpdatePayment(const Payment& p) {
    return Write<void>("update payment", [&](soci::session& sql) {
        return UpdateVersioned(
            sql,
            "payment",
            "amount = :amount, status = :status",
            p.id.value,
            p.version,
            p.amount,
            static_cast<int>(p.status)
        );
    });
}

Result<TicketId> SqlUnitOfWork::InsertTicket(const Ticket& t) {
    return Write<TicketId>("insert ticket", [&](soci::session& sql) -> Result<TicketId> {
        Exec(
            sql,
            "INSERT INTO ticket (payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, "
            "status, version) VALUES (:payment, :user, :concert, :schedule, :seat, :number, :price, :status, 0)",
            t.payment_id.value,
            t.user_id.value,
            t.concert_id.value,
            t.schedule_id.value,
            t.seat_id.value,
            t.seat_number,
            t.price,
            static_cast<int>(t.status)
        );
        return TicketId{LastId(sql)};
    });
}

Result<std::vector<TicketId>> SqlUnitOfWork::InsertTickets(std::span<const Ticket> tickets) {
    return Write<std::vector<TicketId>>("insert tickets", [&](soci::session& sql) -> Result<std::vector<TicketId>> {
        if (tickets.empty()) return std::vector<TicketId>{};
        std::string query =
            "INSERT INTO ticket (payment_id, user_id, concert_id, schedule_id, seat_id, seat_number, price, status, "
            "version) VALUES ";
        struct Values {
            std::int64_t payment, user, concert, schedule, seat, price;
            std::int32_t number;
            int status;
        };
        std::vector<Values> values;
        values.reserve(tickets.size());
        for (const auto& t : tickets) {
            const auto n = std::to_string(values.size());
            query += (values.empty() ? "(" : ", (") + (":p" + n) + ", :u" + n + ", :c" + n + ", :s" + n + ", :e" + n +
                     ", :n" + n + ", :r" + n + ", :t" + n + ", 0)";
            values.push_back(
                {t.payment_id.value,
                 t.user_id.value,
                 t.concert_id.value,
                 t.schedule_id.value,
                 t.seat_id.value,
                 t.price,
                 t.seat_number,
                 static_cast<int>(t.status)}
            );
        }
        soci::details::prepare_temp_type prep = (sql.prepare << query + " RETURNING id");
        for (const auto& v : values) {
            prep, soci::use(v.payment), soci::use(v.user), soci::use(v.concert), soci::use(v.schedule),
                soci::use(v.seat), soci::use(v.number), soci::use(v.price), soci::use(v.status);
        }
        std::int64_t id = 0;
        prep, soci::into(id);
        soci::statement st(prep);
        std::vector<TicketId> ids;
        for (auto inserted : InsertedIds(st, id, tickets.size())) ids.emplace_back(inserted);
        return ids;
    });
}

Result<std::vector<Ticket>> SqlUnitOfWork::ListTicketsByPayment(PaymentId payment) {
    return Read<std::vector<Ticket>>("list tickets", [&](soci::session& sql) -> Result<std::vector<Ticket>> {
        return Select<TicketRow>(
            sql, SelectFrom<TicketRow>("ticket", "WHERE payment_id = :payment ORDER BY id"), payment.value
        );
    });
}

Result<std::vector<Ticket>> SqlUnitOfWork::ListTicketsByUser(UserId user, ports::PageRequest page) {
    return Read<std::vector<Ticket>>("list tickets", [&](soci::session& sql) -> Result<std::vector<Ticket>> {
        return Select<TicketRow>(
            sql,
            SelectFrom<TicketRow>("ticket", "WHERE user_id = :user AND id > :after ORDER BY id LIMIT :n"),
            user.value,
            page.after,
            page.limit
        );
    });
}

Result<void> SqlUnitOfWork::UpdateTicket(const Ticket& t) {
    return Write<void>("update ticket", [&](soci::session& sql) {
        return UpdateVersioned(
            sql,
            "ticket",
            "price = :price, status = :status",
            t.id.value,
            t.version,
            t.price,
            static_cast<int>(t.status)
        );
    });
}

Result<std::optional<Payment>> SqlUnitOfWork::FindPaymentImpl(PaymentId id, bool for_update) {
    return Read<std::optional<Payment>>("find payment", [&](soci::session& sql) -> Result<std::optional<Payment>> {
        return SelectOne<PaymentRow>(
            sql, SelectFrom<PaymentRow>("payment", "WHERE id = :id") + (for_update ? ForUpdate() : ""), id.value
        );
    });
}

Result<std::optional<Payment>> SqlUnitOfWork::FindPaymentByReservation(ReservationId reservation) {
    return Read<std::optional<Payment>>(
        "find payment by reservation",
        [&](soci::session& sql) -> Result<std::optional<Payment>> {
            return SelectOne<PaymentRow>(
                sql, SelectFrom<PaymentRow>("payment", "WHERE reservation_id = :reservation"), reservation.value
            );
        }
    );
}

}  // namespace ticketing::sql::detail
