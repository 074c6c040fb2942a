#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <ticketing/group_commit.hpp>
#include <ticketing/redact.hpp>
#include <ticketing/redis/redis_client.hpp>

namespace ticketing::redis {
namespace {

// The name EVALSHA knows a script by: the hex SHA-1 of its source, as SCRIPT LOAD would answer.
std::string Sha1Hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL cannot compute SHA-1");  // a broken crypto library: start-up fails
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (unsigned int i = 0; i < size; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0xFU]);
    }
    return out;
}

// ---- RAII over hiredis ----------------------------------------------------------------------------

struct ContextFree {
    void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

timeval ToTimeval(Millis ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

RedisReply Copy(const redisReply& r) {
    RedisReply out;
    switch (r.type) {
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::kInteger;
            out.integer = r.integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            out.type = r.type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                       : r.type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                      : RedisReply::Type::kError;
            out.str.assign(r.str, r.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::kArray;
            out.elements.reserve(r.elements);
            for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(Copy(*r.element[i]));
            break;
        default:
            out.type = RedisReply::Type::kNil;
            break;
    }
    return out;
}

// hiredis writes with write(2): a peer that closed the socket would raise SIGPIPE and kill the
// process. Block it on this thread around the I/O and swallow one that was raised meanwhile, without
// touching the process-wide disposition the host application owns.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~SigpipeGuard() {
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                timespec zero{};
                while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool was_pending_{false};
};

constexpr std::string_view kAuthFailed =
    "authentication failed (a configuration error: check the configured user and password)";

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// "%40" -> "@"; nullopt on a broken escape.
std::optional<std::string> PercentDecode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        unsigned value = 0;
        if (i + 2 >= text.size()) return std::nullopt;
        const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
        if (ec != std::errc{} || end != text.data() + i + 3) return std::nullopt;
        out.push_back(static_cast<char>(value));
        i += 2;
    }
    return out;
}

}  // namespace

// ---- URL, script, errors ----------------------------------------------------------------------------

Result<RedisOptions> ParseRedisUrl(std::string_view url) {
    constexpr std::string_view kScheme = "redis://";
    if (!StartsWith(url, kScheme)) return MakeError(Errc::kInvalidArgument, "not a redis:// URL: " + RedactUrl(url));
    RedisOptions out;
    std::string_view rest = url.substr(kScheme.size());
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        auto userinfo = rest.substr(0, at);
        std::optional<std::string> user;
        std::optional<std::string> password;
        if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            user = PercentDecode(userinfo.substr(0, colon));
            password = PercentDecode(userinfo.substr(colon + 1));
        } else {
            password = PercentDecode(userinfo);
        }
        if (!user || !password) return MakeError(Errc::kInvalidArgument, "bad percent escape in " + RedactUrl(url));
        out.user = std::move(*user);
        out.password = std::move(*password);
        rest = rest.substr(at + 1);
    }
    std::string_view hostport = rest;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        auto db = rest.substr(slash + 1);
        if (const auto query = db.find('?'); query != std::string_view::npos) db = db.substr(0, query);
        if (!db.empty()) {
            const auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out.db);
            if (ec != std::errc{} || end != db.data() + db.size() || out.db < 0) {
                return MakeError(Errc::kInvalidArgument, "bad database number in " + RedactUrl(url));
            }
        }
    }
    if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
        auto port = hostport.substr(colon + 1);
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
        if (ec != std::errc{} || end != port.data() + port.size() || out.port <= 0 || out.port > 65535) {
            return MakeError(Errc::kInvalidArgument, "bad port in " + RedactUrl(url));
        }
        hostport = hostport.substr(0, colon);
    }
    if (hostport.size() >= 2 && hostport.front() == '[' && hostport.back() == ']') {
        hostport = hostport.substr(1, hostport.size() - 2);  // [::1]
    }
    if (!hostport.empty()) out.host = std::string(hostport);
    return out;
}

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

Error ReplyError(const RedisReply& reply) {
    // Credentials refused or missing: a configuration error that waiting will not fix. Still
    // UNAVAILABLE (503: the backend cannot be used), named as such so an operator fixes the setting.
    constexpr std::string_view kCredentials[] = {"NOAUTH", "WRONGPASS", "NOPERM"};
    // Conditions of the server or its deployment, not bugs: report them as "backend down" (503). A
    // script relays them inside "ERR Error running script ... -CODE ...".
    constexpr std::string_view kTransient[] = {
        "LOADING",
        "BUSY",
        "MASTERDOWN",
        "READONLY",
        "OOM",
        "TRYAGAIN",
        "CLUSTERDOWN",
        "MISCONF",
        "NOREPLICAS",
        "ERR max number of clients"};
    const bool from_script = StartsWith(reply.str, "ERR Error running script");
    const auto is = [&](std::string_view code) {
        return StartsWith(reply.str, code) ||
               (from_script && reply.str.find("-" + std::string(code)) != std::string::npos);
    };
    for (auto code : kCredentials) {
        if (is(code)) return Error{Errc::kUnavailable, "redis: " + std::string(kAuthFailed) + ": " + reply.str};
    }
    for (auto code : kTransient) {
        if (is(code)) return Error{Errc::kUnavailable, "redis: " + reply.str};
    }
    return Error{Errc::kInternal, "redis: " + reply.str};
}

// ---- the pool ---------------------------------------------------------------------------------------

struct RedisClient::Impl {
    using Args = std::vector<std::string>;

    explicit Impl(RedisOptions o)
        : options(std::move(o)),
          free_slots(std::max<std::size_t>(options.pool_size, 1)),
          calls(std::clamp<std::size_t>(options.max_round_trips, 1, free_slots)) {}

    RedisOptions options;
    std::mutex mutex;
    std::condition_variable released;
    std::size_t free_slots;
    std::vector<ContextPtr> idle;  // connected contexts not in use

    std::string Where() const { return options.host + ":" + std::to_string(options.port); }

    // A borrowed connection: returned to the pool on destruction, or freed when marked broken.
    class Lease {
    public:
        Lease(Impl& pool, ContextPtr ctx, bool reused) : pool_(pool), ctx_(std::move(ctx)), reused_(reused) {}
        ~Lease() { pool_.Return(std::move(ctx_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        redisContext* Get() const { return ctx_.get(); }
        void Broken() { ctx_.reset(); }
        /// Taken from the idle list rather than just connected.
        bool Reused() const { return reused_; }

    private:
        Impl& pool_;
        ContextPtr ctx_;
        bool reused_;
    };

    void Return(ContextPtr ctx) {
        {
            std::lock_guard lock(mutex);
            if (ctx) idle.push_back(std::move(ctx));
            ++free_slots;
        }
        released.notify_one();
    }

    Result<ContextPtr> Connect() {
        const auto tv = ToTimeval(options.connect_timeout);
        ContextPtr ctx(redisConnectWithTimeout(options.host.c_str(), options.port, tv));
        if (!ctx) return MakeError(Errc::kUnavailable, "redis " + Where() + ": out of memory");
        if (ctx->err != 0) return MakeError(Errc::kUnavailable, "redis " + Where() + ": " + ctx->errstr);
        if (redisSetTimeout(ctx.get(), ToTimeval(options.command_timeout)) != REDIS_OK) {
            return MakeError(Errc::kUnavailable, "redis " + Where() + ": cannot set timeouts");
        }
        redisEnableKeepAlive(ctx.get());
        std::vector<std::vector<std::string>> setup;
        if (!options.password.empty()) {
            setup.push_back(
                options.user.empty() ? std::vector<std::string>{"AUTH", options.password}
                                     : std::vector<std::string>{"AUTH", options.user, options.password}
            );
        }
        if (options.db != 0) setup.push_back({"SELECT", std::to_string(options.db)});
        if (!setup.empty()) {
            std::vector<const Args*> setup_commands;
            for (const auto& command : setup) setup_commands.push_back(&command);
            auto replies = Run(ctx.get(), setup_commands);
            if (!replies) return Forward(replies.error());
            for (std::size_t i = 0; i < replies->size(); ++i) {
                const auto& reply = (*replies)[i];
                if (!reply.IsError()) continue;
                // Any refused AUTH is the credentials' fault, whatever the server's wording.
                const bool auth = setup[i].front() == "AUTH";
                return MakeError(
                    Errc::kUnavailable,
                    "redis " + Where() + ": " + (auth ? std::string(kAuthFailed) + ": " : std::string{}) + reply.str
                );
            }
        }
        return ctx;
    }

    // Borrows a connection, connecting if needed; waits at most the command timeout for a free one.
    Result<std::unique_ptr<Lease>> Borrow() {
        ContextPtr ctx;
        bool reused = false;
        {
            std::unique_lock lock(mutex);
            if (!released.wait_for(lock, options.command_timeout, [&] { return free_slots > 0; })) {
                return MakeError(Errc::kUnavailable, "redis " + Where() + ": no free connection in the pool");
            }
            --free_slots;
            if (!idle.empty()) {
                ctx = std::move(idle.back());
                idle.pop_back();
                reused = true;
            }
        }
        if (!ctx) {
            auto connected = Connect();
            if (!connected) {
                Return(nullptr);
                return Forward(connected.error());
            }
            ctx = std::move(*connected);
        }
        return std::make_unique<Lease>(*this, std::move(ctx), reused);
    }

    // Sends the commands and reads one reply each. An I/O error leaves the context unusable.
    Result<std::vector<RedisReply>> Run(redisContext* ctx, std::span<const Args* const> commands) {
        SigpipeGuard guard;
        std::vector<const char*> argv;
        std::vector<std::size_t> argv_len;
        for (const auto* command : commands) {
            argv.clear();
            argv_len.clear();
            for (const auto& arg : *command) {
                argv.push_back(arg.data());
                argv_len.push_back(arg.size());
            }
            if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), argv_len.data()) != REDIS_OK) {
                return MakeError(Errc::kUnavailable, "redis " + Where() + ": " + ctx->errstr);
            }
        }
        std::vector<RedisReply> out;
        out.reserve(commands.size());
        for (std::size_t i = 0; i < commands.size(); ++i) {
            void* raw = nullptr;
            if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) {
                const std::string why = ctx->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
                                            ? "timed out"
                                            : std::string(ctx->errstr);
                return MakeError(Errc::kUnavailable, "redis " + Where() + ": " + why);
            }
            ReplyPtr reply(static_cast<redisReply*>(raw));
            out.push_back(Copy(*reply));
        }
        return out;
    }

    // Pooled connections the server closed while they sat idle (restart, `timeout`, CLIENT KILL) fail
    // on first use; each such one is dropped and the commands go on the next, until a fresh connection.
    // The adapter's commands are all safe to repeat (RedisClient's contract).
    Result<std::vector<RedisReply>> RoundTrip(std::span<const Args* const> commands) {
        for (int attempt = 0;; ++attempt) {
            auto conn = Borrow();
            if (!conn) return Forward(conn.error());
            auto replies = Run((*conn)->Get(), commands);
            if (replies) return replies;
            const auto* ctx = (*conn)->Get();
            const std::string_view why = ctx->errstr;
            const bool closed = ctx->err == REDIS_ERR_EOF ||
                                (ctx->err == REDIS_ERR_IO && (why.find("reset") != std::string_view::npos ||
                                                              why.find("Broken pipe") != std::string_view::npos));
            const bool retry = (*conn)->Reused() && closed && attempt <= static_cast<int>(options.pool_size);
            (*conn)->Broken();  // discard: a half-read reply would poison the next caller
            if (!retry) return replies;
        }
    }

    // ---- group commit: callers that arrive while round trips are in flight share the next one -------

    // A caller's commands and their replies.
    struct Call {
        const std::vector<Args>* commands;
        Result<std::vector<RedisReply>> result;
    };

    // Redis answers a pipeline of n commands for little more than one: under load, the calls that
    // queue up behind max_round_trips in-flight round trips go out together in the next one.
    GroupCommit<Call> calls;

    Result<std::vector<RedisReply>> Execute(const std::vector<Args>& commands) {
        Call call{&commands, MakeError(Errc::kInternal, "redis: the call was not sent")};
        calls.Submit(call, [this](std::span<Call* const> batch) { RunBatch(batch); });
        return std::move(call.result);
    }

    void RunBatch(std::span<Call* const> batch) {
        std::vector<const Args*> commands;
        for (const auto* call : batch) {
            for (const auto& command : *call->commands) commands.push_back(&command);
        }
        auto replies = RoundTrip(commands);
        auto next = replies ? replies->begin() : std::vector<RedisReply>::iterator{};
        for (auto* call : batch) {
            if (!replies) {
                call->result = Forward(replies.error());
                continue;
            }
            const auto count = static_cast<std::ptrdiff_t>(call->commands->size());
            call->result =
                std::vector<RedisReply>(std::make_move_iterator(next), std::make_move_iterator(next + count));
            next += count;
        }
    }
};

RedisClient::RedisClient(RedisOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

RedisClient::~RedisClient() = default;

const RedisOptions& RedisClient::Options() const {
    return impl_->options;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
    auto replies = impl_->Execute({args});
    if (!replies) return Forward(replies.error());
    auto& reply = replies->front();
    if (reply.IsError()) return tl::unexpected<Error>(ReplyError(reply));
    return std::move(reply);
}

Result<std::vector<RedisReply>> RedisClient::Pipeline(const std::vector<std::vector<std::string>>& commands) {
    if (commands.empty()) return std::vector<RedisReply>{};
    return impl_->Execute(commands);
}

std::vector<std::string> RedisClient::EvalShaCommand(
    const RedisScript& script, const std::vector<std::string>& keys, const std::vector<std::string>& args
) {
    std::vector<std::string> command;
    command.reserve(3 + keys.size() + args.size());
    command.emplace_back("EVALSHA");
    command.push_back(script.Sha1());
    command.push_back(std::to_string(keys.size()));
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    return command;
}

Result<RedisReply> RedisClient::EvalReply(
    RedisReply reply,
    const RedisScript& script,
    const std::vector<std::string>& keys,
    const std::vector<std::string>& args
) {
    if (reply.IsError() && StartsWith(reply.str, "NOSCRIPT")) {
        auto command = EvalShaCommand(script, keys, args);
        command[0] = "EVAL";
        command[1] = script.Source();
        return Command(command);
    }
    if (reply.IsError()) return tl::unexpected<Error>(ReplyError(reply));
    return reply;
}

Result<std::vector<Result<RedisReply>>> RedisClient::EvalPipeline(
    const RedisScript& script, const std::vector<ScriptCall>& calls
) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(calls.size());
    for (const auto& call : calls) commands.push_back(EvalShaCommand(script, call.keys, call.args));
    auto replies = Pipeline(commands);
    if (!replies) return Forward(replies.error());
    std::vector<Result<RedisReply>> out;
    out.reserve(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        out.push_back(EvalReply(std::move((*replies)[i]), script, calls[i].keys, calls[i].args));
    }
    return out;
}

Result<RedisReply> RedisClient::Eval(
    const RedisScript& script, const std::vector<std::string>& keys, const std::vector<std::string>& args
) {
    auto replies = impl_->Execute({EvalShaCommand(script, keys, args)});
    if (!replies) return Forward(replies.error());
    return EvalReply(std::move(replies->front()), script, keys, args);
}

Result<void> RedisClient::Ping() {
    auto reply = Command({"PING"});
    if (!reply) return Forward(reply.error());
    return {};
}

Result<void> RedisClient::DeleteKeysWithPrefix(std::string_view prefix) {
    std::string cursor = "0";
    do {
        auto page = Command({"SCAN", cursor, "MATCH", std::string(prefix) + "*", "COUNT", "1000"});
        if (!page) return Forward(page.error());
        if (page->elements.size() != 2) return MakeError(Errc::kInternal, "unexpected SCAN reply");
        cursor = page->elements[0].str;
        for (const auto& key : page->elements[1].elements) {
            if (auto deleted = Command({"DEL", key.str}); !deleted) return Forward(deleted.error());
        }
    } while (cursor != "0");
    return {};
}

}  // namespace ticketing::redis
