#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <ticketing/domain/time.hpp>
#include <ticketing/error.hpp>
#include <vector>

namespace ticketing::redis {

using namespace std::chrono_literals;

struct RedisOptions {
    std::string host{"127.0.0.1"};
    int port{6379};
    int db{0};
    std::string user;      ///< ACL user for AUTH; empty: the default user
    std::string password;  ///< AUTH when not empty
    Millis connect_timeout{500};
    /// Bound of one command's write and read; also how long a caller waits for a free connection.
    Millis command_timeout{500};
    std::size_t pool_size{8};
    /// Round trips in flight at once (at most pool_size); callers beyond them wait and go out together
    /// as one pipeline, which Redis answers far faster than the same commands one by one.
    std::size_t max_round_trips{2};
};

/// "redis://[[user]:password@]host[:port][/db]" (userinfo %-encoded; "[::1]" for IPv6).
/// kInvalidArgument when malformed.
Result<RedisOptions> ParseRedisUrl(std::string_view url);

/// One server reply, copied out of hiredis.
struct RedisReply {
    enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };

    Type type{Type::kNil};
    std::int64_t integer{0};
    std::string str;  ///< kString, kStatus, kError
    std::vector<RedisReply> elements;

    bool IsNil() const { return type == Type::kNil; }
    bool IsError() const { return type == Type::kError; }
};

/// A Lua script run by EVALSHA; the SHA-1 is computed locally (OpenSSL), and a NOSCRIPT reply (fresh or
/// flushed server) falls back to EVAL, which also caches the script on the server. Immutable.
class RedisScript {
public:
    explicit RedisScript(std::string source);
    const std::string& Source() const { return source_; }
    const std::string& Sha1() const { return sha1_; }

private:
    std::string source_;
    std::string sha1_;
};

/// A pool of hiredis connections with connect and command timeouts. A refused AUTH on connect is
/// kUnavailable with "authentication failed" in the message (the password never appears). Connections are opened lazily
/// and re-opened after any I/O error, so the client never throws when Redis is down and recovers by
/// itself once it is back: calls fail with kUnavailable within the timeouts meanwhile. Commands that
/// meet a pooled connection the server had closed are sent again on another, so they must be safe to
/// repeat. Thread-safe.
class RedisClient {
public:
    explicit RedisClient(RedisOptions options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    const RedisOptions& Options() const;

    /// One command. An error reply becomes an Error: kUnavailable when the server is loading, busy,
    /// read-only or out of memory, and when it refuses the credentials (NOAUTH, WRONGPASS, NOPERM: a
    /// configuration error, said so in the message); kInternal otherwise. Never kAborted: nothing
    /// here is a lost race to retry.
    Result<RedisReply> Command(const std::vector<std::string>& args);
    /// Several commands in one round trip on one connection; error replies stay in the vector.
    Result<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);
    /// EVALSHA with the NOSCRIPT fallback. Errors as Command.
    Result<RedisReply> Eval(
        const RedisScript& script, const std::vector<std::string>& keys, const std::vector<std::string>& args
    );
    /// One script over several key sets in one round trip: reply i is call i's, each as Eval's.
    struct ScriptCall {
        std::vector<std::string> keys;
        std::vector<std::string> args;
    };
    Result<std::vector<Result<RedisReply>>> EvalPipeline(
        const RedisScript& script, const std::vector<ScriptCall>& calls
    );
    /// The EVALSHA command for a pipeline; pass its reply to EvalReply.
    static std::vector<std::string> EvalShaCommand(
        const RedisScript& script, const std::vector<std::string>& keys, const std::vector<std::string>& args
    );
    /// Finishes a pipelined EVALSHA: re-runs it with EVAL on NOSCRIPT, translates error replies.
    Result<RedisReply> EvalReply(
        RedisReply reply,
        const RedisScript& script,
        const std::vector<std::string>& keys,
        const std::vector<std::string>& args
    );

    Result<void> Ping();

    /// Deletes every key starting with `prefix` (SCAN, then DEL): the cleanup of tests and benches
    /// that give each run its own prefix. Never for a prefix production data lives under.
    Result<void> DeleteKeysWithPrefix(std::string_view prefix);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// An error reply as an Error.
Error ReplyError(const RedisReply& reply);

}  // namespace ticketing::redis
