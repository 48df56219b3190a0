// Completed purchases per second, end to end, against a running `lore serve` on MariaDB, next
// to the raw single-row commit rate of the same MariaDB measured in the same run with the same
// number of concurrent clients (bench/purchases.sh starts the servers and runs this).
//
// A purchase is what a buyer and pay-sandbox do together, through the real HTTP API:
//   1. POST /api/v1/orders {course_id, provider: "sandbox"} with a fresh Idempotency-Key
//      (201: a pending order and its checkout link);
//   2. POST /api/v1/payments/sandbox/webhook with a payment.succeeded event for that order,
//      signed exactly as pay-sandbox signs its own (Sandbox-Signature: t=...,v1=HMAC-SHA-256
//      of "<t>.<raw body>"; the body and the header come from pay-sandbox's own webhook.h and
//      signature.h, so they cannot drift apart from what the plugin checks).
// It counts as completed only when the webhook answered 2xx. The webhook's 2xx is the
// provider's acknowledgement and says nothing about what the event did (an unknown order is
// acknowledged too), so at the end every completed order is checked in the database: status
// `fulfilled`, one live purchase entitlement for its buyer and course, one payment event with
// the outcome `fulfilled`, and the ledger summing to zero with the provider's account holding
// exactly the completed orders' money. Any difference fails the run.
//
// Each (buyer, course) pair is bought once (a buyer cannot buy a course they own: 409). Pair i
// is buyer i % B and course (i / B + i % B) % K: nearby pairs, which the clients run at the
// same time, have different buyers and different courses, so they seldom wait for each other's
// row locks (a purchase locks its buyer's row; fulfilment locks the course's row and bumps its
// learner count). When the B × K pairs run out the phase stops early and says so.
//
// The commit rate: the same number of threads, each with its own connection over TCP to the
// same server (as lore connects), each running autocommit single-row INSERTs into an InnoDB
// table for the same duration. A C++ loop rather than mariadb-slap: it runs for a fixed
// duration (mariadb-slap runs a fixed number of queries), uses libmariadb as lore's SOCI
// backend does, and gives per-commit latencies and the server's CPU per commit measured the
// same way as for purchases. (bench/purchases.sh also runs mariadb-slap once as a cross-check.)
//
// The database's own counters (SHOW GLOBAL STATUS) are read around each phase: the statements,
// transactions and row-lock waits per purchase are measured, not only counted in the code.
//
// Usage (all values --name=value):
//   lore_purchase_bench --url=http://127.0.0.1:PORT --mysql=mysql://USER:PASS@HOST:PORT/DB
//     --creator-token=TOKEN --secret=WEBHOOK_SECRET [--lore-pid=PID] [--clients=8]
//     [--buyers=64] [--courses=1024] [--duration-ms=10000] [--warmup-ms=2000] [--rounds=1]
// Exit status: 0 when every check passed, 1 when a purchase failed or a check did not hold,
// 2 for bad arguments or a setup that did not work.
#include <curl/curl.h>
#include <mysql.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../plugins/pay-sandbox/webhook.h"

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

[[noreturn]] void fail_setup(const std::string& why) {
  std::cerr << "purchase_bench: " << why << "\n";
  std::exit(2);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- Settings ----

struct Settings {
  std::string url;
  std::string mysql_url;
  std::string creator_token;
  std::string secret;
  long lore_pid = 0;
  int clients = 8;
  int buyers = 64;
  int courses = 1024;
  double duration_s = 10;
  double warmup_s = 2;
  int rounds = 1;
};

Settings parse_arguments(int argc, char** argv) {
  Settings s;
  std::map<std::string, std::string> given;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto equals = arg.find('=');
    if (arg.rfind("--", 0) != 0 || equals == std::string::npos)
      fail_setup("expected --name=value, got '" + arg + "'");
    given[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
  }
  auto take = [&](const char* name, auto& into) {
    auto it = given.find(name);
    if (it == given.end()) return;
    std::istringstream in(it->second);
    if (!(in >> into) || !in.eof()) fail_setup(std::string("bad value for --") + name);
    given.erase(it);
  };
  auto take_string = [&](const char* name, std::string& into) {
    auto it = given.find(name);
    if (it == given.end()) return;
    into = it->second;
    given.erase(it);
  };
  take_string("url", s.url);
  take_string("mysql", s.mysql_url);
  take_string("creator-token", s.creator_token);
  take_string("secret", s.secret);
  take("lore-pid", s.lore_pid);
  take("clients", s.clients);
  take("buyers", s.buyers);
  take("courses", s.courses);
  double duration_ms = s.duration_s * 1000, warmup_ms = s.warmup_s * 1000;
  take("duration-ms", duration_ms);
  take("warmup-ms", warmup_ms);
  take("rounds", s.rounds);
  s.duration_s = duration_ms / 1000;
  s.warmup_s = warmup_ms / 1000;
  if (!given.empty()) fail_setup("unknown option --" + given.begin()->first);
  if (s.url.empty() || s.mysql_url.empty() || s.creator_token.empty() || s.secret.empty())
    fail_setup("--url, --mysql, --creator-token and --secret are required");
  if (s.clients < 1 || s.buyers < 1 || s.courses < 1 || s.rounds < 1 || s.duration_s <= 0 ||
      s.warmup_s < 0)
    fail_setup("--clients, --buyers, --courses, --rounds and --duration-ms must be positive");
  if (s.courses < s.clients)
    fail_setup("--courses must be at least --clients (concurrent purchases use distinct courses)");
  return s;
}

// ---- HTTP: one libcurl handle per thread, kept alive ----

struct Reply {
  long status = 0;  // 0: no answer
  std::string body;
  std::string error;
};

class Http {
 public:
  explicit Http(std::string base) : base_(std::move(base)), curl_(curl_easy_init()) {
    if (curl_ == nullptr) fail_setup("curl_easy_init failed");
  }
  ~Http() { curl_easy_cleanup(curl_); }
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  Reply post(const std::string& path, const std::string& body,
             const std::vector<std::string>& headers) {
    Reply reply;
    curl_slist* list = nullptr;
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Expect:");
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    const auto target = base_ + path;
    curl_easy_setopt(curl_, CURLOPT_URL, target.c_str());
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Http::collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    const auto code = curl_easy_perform(curl_);
    if (code == CURLE_OK)
      curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    else
      reply.error = curl_easy_strerror(code);
    curl_slist_free_all(list);
    return reply;
  }

 private:
  static size_t collect(char* data, size_t size, size_t count, void* into) {
    static_cast<std::string*>(into)->append(data, size * count);
    return size * count;
  }
  std::string base_;
  CURL* curl_;
};

// ---- MariaDB: raw connections (libmariadb, as SOCI's MySQL backend) ----

struct MysqlAddress {
  std::string user, password, host, database;
  unsigned port = 3306;
};

MysqlAddress parse_mysql_url(const std::string& url) {
  // mysql://USER:PASSWORD@HOST[:PORT]/DATABASE
  const std::string scheme = "mysql://";
  MysqlAddress a;
  if (url.rfind(scheme, 0) != 0) fail_setup("--mysql must be mysql://USER:PASSWORD@HOST:PORT/DB");
  auto rest = url.substr(scheme.size());
  const auto at = rest.rfind('@');
  const auto slash = rest.find('/', at == std::string::npos ? 0 : at);
  if (at == std::string::npos || slash == std::string::npos)
    fail_setup("--mysql must be mysql://USER:PASSWORD@HOST:PORT/DB");
  const auto credentials = rest.substr(0, at);
  const auto colon = credentials.find(':');
  a.user = credentials.substr(0, colon);
  if (colon != std::string::npos) a.password = credentials.substr(colon + 1);
  auto host = rest.substr(at + 1, slash - at - 1);
  if (const auto port = host.rfind(':'); port != std::string::npos) {
    a.port = static_cast<unsigned>(std::stoul(host.substr(port + 1)));
    host.resize(port);
  }
  a.host = host;
  a.database = rest.substr(slash + 1);
  if (const auto query = a.database.find('?'); query != std::string::npos) a.database.resize(query);
  return a;
}

class Mysql {
 public:
  explicit Mysql(const MysqlAddress& a) : handle_(mysql_init(nullptr)) {
    if (handle_ == nullptr) fail_setup("mysql_init failed");
    // TCP, like lore's connections to the same URL.
    unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(handle_, MYSQL_OPT_PROTOCOL, &protocol);
    if (mysql_real_connect(handle_, a.host.c_str(), a.user.c_str(), a.password.c_str(),
                           a.database.c_str(), a.port, nullptr, 0) == nullptr)
      fail_setup(std::string("cannot connect to MariaDB: ") + mysql_error(handle_));
    mysql_autocommit(handle_, 1);
  }
  ~Mysql() { mysql_close(handle_); }
  Mysql(const Mysql&) = delete;
  Mysql& operator=(const Mysql&) = delete;

  // Runs a statement; returns the error or "".
  std::string run(const std::string& sql) {
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) return mysql_error(handle_);
    if (MYSQL_RES* result = mysql_store_result(handle_)) mysql_free_result(result);
    return "";
  }
  void must(const std::string& sql) {
    if (auto error = run(sql); !error.empty()) fail_setup(sql + ": " + error);
  }
  // Every row of a query, each column as a string ("" for NULL).
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0)
      fail_setup(sql + ": " + mysql_error(handle_));
    MYSQL_RES* result = mysql_store_result(handle_);
    std::vector<std::vector<std::string>> out;
    if (result == nullptr) return out;
    const auto columns = mysql_num_fields(result);
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      auto* lengths = mysql_fetch_lengths(result);
      std::vector<std::string> values;
      for (unsigned i = 0; i < columns; ++i)
        values.emplace_back(row[i] ? std::string(row[i], lengths[i]) : std::string());
      out.push_back(std::move(values));
    }
    mysql_free_result(result);
    return out;
  }
  std::int64_t number(const std::string& sql) {
    const auto r = rows(sql);
    if (r.empty() || r[0].empty() || r[0][0].empty()) return 0;
    return std::stoll(r[0][0]);
  }

 private:
  MYSQL* handle_;
};

// ---- Measurements ----

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> ms) {
  Percentiles p;
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    // Nearest rank.
    auto rank = static_cast<std::size_t>(q * static_cast<double>(ms.size()) + 0.999999);
    return ms[std::min(ms.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = ms.back();
  return p;
}

// CPU time (user + system) of a process so far, in seconds; nullopt if unreadable.
std::optional<double> process_cpu_s(long pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream in(text.substr(text.rfind(')') + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

// All cores together: {busy, total} jiffies from /proc/stat.
std::pair<double, double> machine_jiffies() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  double value = 0, total = 0, idle = 0;
  for (int i = 0; i < 8 && stat >> value; ++i) {
    total += value;
    if (i == 3 || i == 4) idle += value;  // idle, iowait
  }
  return {total - idle, total};
}

// The server's counters read around each phase: statements by kind, transactions, pings
// (Com_admin_commands: lore's pool pings each connection it leases), full scans and the rows
// they read, and row-lock waits (time in ms).
const std::vector<std::string> kStatusNames = {"Questions",
                                               "Com_begin",
                                               "Com_commit",
                                               "Com_rollback",
                                               "Com_select",
                                               "Com_insert",
                                               "Com_update",
                                               "Com_delete",
                                               "Com_admin_commands",
                                               "Select_scan",
                                               "Handler_read_rnd_next",
                                               "Innodb_row_lock_waits",
                                               "Innodb_row_lock_time",
                                               "Innodb_deadlocks"};

std::map<std::string, double> server_status(Mysql& db) {
  std::string in;
  for (const auto& name : kStatusNames) in += (in.empty() ? "'" : ",'") + name + "'";
  std::map<std::string, double> out;
  for (const auto& row : db.rows("SHOW GLOBAL STATUS WHERE Variable_name IN (" + in + ")"))
    out[row[0]] = std::stod(row[1]);
  return out;
}

// Compilers running now (a shared build machine): a phase they overlap is disturbed.
int compilers_running() {
  int n = 0;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string command;
    if (std::getline(comm, command) && command == "cc1plus") ++n;
  }
  return n;
}

// What was measured around a phase: wall time and the CPU each process used.
struct Window {
  Clock::time_point start;
  std::optional<double> lore_cpu, db_cpu;
  double self_cpu = 0;
  std::pair<double, double> machine;
  std::map<std::string, double> status;
  int compilers = 0;
};

struct Usage {
  double seconds = 0;
  std::optional<double> lore_cpu, db_cpu;  // seconds of CPU during the phase
  double self_cpu = 0;
  double machine_busy = 0;               // share of all cores busy, 0..1
  std::map<std::string, double> status;  // deltas
  int compilers_before = 0, compilers_after = 0;
};

class Meter {
 public:
  Meter(Mysql& monitor, long lore_pid, long db_pid)
      : monitor_(monitor), lore_pid_(lore_pid), db_pid_(db_pid) {}

  Window begin() {
    Window w;
    w.status = server_status(monitor_);
    w.lore_cpu = process_cpu_s(lore_pid_);
    w.db_cpu = process_cpu_s(db_pid_);
    w.self_cpu = self_cpu_s();
    w.machine = machine_jiffies();
    w.compilers = compilers_running();
    w.start = Clock::now();
    return w;
  }
  Usage end(const Window& w) {
    Usage u;
    u.seconds = seconds_since(w.start);
    const auto lore = process_cpu_s(lore_pid_);
    const auto db = process_cpu_s(db_pid_);
    if (lore && w.lore_cpu) u.lore_cpu = *lore - *w.lore_cpu;
    if (db && w.db_cpu) u.db_cpu = *db - *w.db_cpu;
    u.self_cpu = self_cpu_s() - w.self_cpu;
    const auto machine = machine_jiffies();
    const auto total = machine.second - w.machine.second;
    u.machine_busy = total > 0 ? (machine.first - w.machine.first) / total : 0;
    u.compilers_before = w.compilers;
    u.compilers_after = compilers_running();
    for (const auto& [name, value] : server_status(monitor_))
      u.status[name] = value - (w.status.count(name) ? w.status.at(name) : 0);
    return u;
  }

 private:
  Mysql& monitor_;
  long lore_pid_, db_pid_;
};

// ---- The shop ----

struct Buyer {
  std::int64_t user_id = 0;
  std::string token;
};

struct Course {
  std::int64_t id = 0;
  std::int64_t price = 0;
};

struct Completed {
  std::int64_t order_id = 0, user_id = 0, course_id = 0, amount = 0;
};

class Errors {
 public:
  void add(const std::string& what, const std::string& detail) {
    std::lock_guard lock(mutex_);
    if (++counts_[what] <= 3) examples_.push_back(what + ": " + detail.substr(0, 400));
  }
  std::int64_t total() const {
    std::lock_guard lock(mutex_);
    std::int64_t n = 0;
    for (const auto& [what, count] : counts_) n += count;
    return n;
  }
  void print(std::ostream& out) const {
    std::lock_guard lock(mutex_);
    for (const auto& [what, count] : counts_) out << "   " << count << " x " << what << "\n";
    for (const auto& e : examples_) out << "   e.g. " << e << "\n";
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> counts_;
  std::vector<std::string> examples_;
};

std::string describe(const Reply& r) {
  return r.status == 0 ? "no answer (" + r.error + ")" : std::to_string(r.status) + " " + r.body;
}

std::string error_code(const Reply& r) {
  if (r.status == 0) return "no answer";
  const auto body = json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].contains("code"))
    return std::to_string(r.status) + " " + body["error"]["code"].get<std::string>();
  return std::to_string(r.status);
}

// Runs `work(thread index)` on `threads` threads and waits for them.
void in_parallel(int threads, const std::function<void(int)>& work) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& t : pool) t.join();
}

class Bench {
 public:
  explicit Bench(Settings settings)
      : s_(std::move(settings)),
        address_(parse_mysql_url(s_.mysql_url)),
        monitor_(address_),
        meter_(monitor_, s_.lore_pid, mariadbd_pid()) {
    std::uint32_t run = 0;
    randombytes_buf(&run, sizeof run);
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08" PRIx32, run);
    run_id_ = hex;
  }

  int run() {
    std::cout << "== Setup: " << s_.buyers << " buyers, " << s_.courses
              << " paid column courses by one creator (" << s_.buyers * s_.courses
              << " buyer-course pairs), " << s_.clients << " concurrent clients\n";
    const auto setup_start = Clock::now();
    register_buyers();
    create_courses();
    monitor_.must(
        "CREATE TABLE IF NOT EXISTS bench_commits (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "client INT NOT NULL, n BIGINT NOT NULL, at_ms BIGINT NOT NULL, note VARCHAR(64) NOT "
        "NULL) ENGINE=InnoDB");
    std::printf("   done in %.1f s\n", seconds_since(setup_start));

    if (s_.warmup_s > 0) {
      std::printf("== Warm-up: %.1f s of commits, then %.1f s of purchases (not counted)\n",
                  s_.warmup_s, s_.warmup_s);
      commit_phase(s_.warmup_s);
      if (purchase_phase(s_.warmup_s).done == 0) stopped_ = true;
    }
    struct Round {
      PhaseResult purchases, commits;
    };
    std::vector<Round> rounds;
    for (int r = 1; r <= s_.rounds && !exhausted_ && !stopped_; ++r) {
      Round round;
      std::printf("== Round %d: commits\n", r);
      round.commits = commit_phase(s_.duration_s);
      print_commits(round.commits);
      std::printf("== Round %d: purchases\n", r);
      round.purchases = purchase_phase(s_.duration_s);
      print_purchases(round.purchases);
      if (round.purchases.done == 0) stopped_ = true;
      rounds.push_back(std::move(round));
    }
    // Nothing completes (a plugin that did not start, a wrong secret): no point going on.
    if (stopped_) std::printf("== Stopped: no purchase completed in a whole phase\n");

    std::printf(
        "\n== Summary (%d clients, %.0f s per phase; the same MariaDB, one after the other)\n",
        s_.clients, s_.duration_s);
    std::printf("%-6s %12s %8s %8s %10s %8s %8s %8s %10s %11s %10s\n", "round", "purchases/s",
                "p50 ms", "p99 ms", "commits/s", "p50 ms", "p99 ms", "ratio", "commits/p",
                "db-cpu/p", "trips/p");
    for (std::size_t r = 0; r < rounds.size(); ++r) {
      const auto& p = rounds[r].purchases;
      const auto& c = rounds[r].commits;
      const auto ratio = c.rate > 0 ? p.rate / c.rate : 0;
      // MariaDB's CPU per purchase in units of its CPU per raw commit.
      std::string db_cpu = "?";
      if (p.usage.db_cpu && c.usage.db_cpu && p.done > 0 && c.done > 0 && *c.usage.db_cpu > 0) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f",
                      (*p.usage.db_cpu / static_cast<double>(p.done)) /
                          (*c.usage.db_cpu / static_cast<double>(c.done)));
        db_cpu = text;
      }
      std::string notes = p.exhausted ? "  pairs ran out" : "";
      if (disturbed(p) || disturbed(c)) notes += "  cc1plus running";
      std::printf("%-6zu %12.1f %8.2f %8.2f %10.1f %8.3f %8.3f %8.4f %10.1f %11s %10.1f%s\n", r + 1,
                  p.rate, p.latency.p50, p.latency.p99, c.rate, c.latency.p50, c.latency.p99, ratio,
                  ratio > 0 ? 1 / ratio : 0, db_cpu.c_str(), round_trips(p), notes.c_str());
    }
    std::printf(
        "ratio: purchases/s / commits/s; commits/p = 1 / ratio: how many raw single-row commits\n"
        "the same database and machine do in the time of one purchase. A purchase commits %s\n"
        "times (the COMMITs counted by MariaDB, plus 3 autocommit UPDATEs: the checkout's\n"
        "reservation and record, and the idempotency key's answer).\n"
        "db-cpu/p: mariadbd's CPU per purchase / its CPU per raw commit. trips/p: round trips to\n"
        "MariaDB per purchase (statements + the pool's pings), as MariaDB counted them.\n",
        measured_commits_.c_str());

    const bool verified = verify();
    std::cout << "\n== Errors: " << errors_.total() << "\n";
    errors_.print(std::cout);
    if (!verified || errors_.total() > 0) {
      std::cout << "FAILED: " << (verified ? "" : "the database does not match the purchases; ")
                << (errors_.total() > 0 ? "some purchases failed" : "") << "\n";
      return 1;
    }
    std::cout << "OK: every completed purchase is fulfilled once, with one entitlement\n";
    return 0;
  }

 private:
  struct PhaseResult {
    std::int64_t done = 0;
    double rate = 0;
    Percentiles latency, first, second;  // whole purchase (or commit), order, webhook
    Usage usage;
    bool exhausted = false;
    std::int64_t retries = 0;
  };

  long mariadbd_pid() {
    // The throwaway server writes its pid file where @@pid_file says (readable only locally).
    const auto rows = monitor_.rows("SELECT @@pid_file");
    if (rows.empty()) return 0;
    std::ifstream file(rows[0][0]);
    long pid = 0;
    if (!(file >> pid)) {
      std::cerr << "purchase_bench: cannot read " << rows[0][0]
                << "; MariaDB's CPU is not measured\n";
      return 0;
    }
    return pid;
  }

  void register_buyers() {
    buyers_.resize(static_cast<std::size_t>(s_.buyers));
    std::atomic<int> next{0};
    in_parallel(s_.clients, [&](int) {
      Http http(s_.url);
      for (int i = next++; i < s_.buyers; i = next++) {
        const json body = {
            {"email", "buyer" + std::to_string(i) + "-" + run_id_ + "@bench.example.com"},
            {"password", "correct horse battery staple"},
            {"display_name", "Buyer " + std::to_string(i)}};
        const auto r = http.post("/api/v1/auth/register", body.dump(), {});
        if (r.status != 201)
          fail_setup("registering buyer " + std::to_string(i) + ": " + describe(r));
        const auto answer = json::parse(r.body);
        buyers_[static_cast<std::size_t>(i)] = {answer["user"]["id"].get<std::int64_t>(),
                                                answer["token"].get<std::string>()};
      }
    });
  }

  void create_courses() {
    courses_.resize(static_cast<std::size_t>(s_.courses));
    std::atomic<int> next{0};
    const auto auth = "Authorization: Bearer " + s_.creator_token;
    in_parallel(s_.clients, [&](int) {
      Http http(s_.url);
      for (int c = next++; c < s_.courses; c = next++) {
        const std::int64_t price = 100 * (c % 10 + 1);
        const json body = {
            {"type", "column"},
            {"title", "Bench column " + std::to_string(c)},
            {"price", {{"amount_minor", price}, {"currency", "CNY"}}},
            {"content",
             {{"articles",
               {{{"id", "preface"}, {"title", "Preface"}, {"trial", true}, {"body", "Free."}},
                {{"id", "one"}, {"title", "One"}, {"body", "Paid **text**."}}}}}}};
        const auto made = http.post("/api/v1/courses", body.dump(), {auth});
        if (made.status != 201)
          fail_setup("creating course " + std::to_string(c) + ": " + describe(made));
        const auto id = json::parse(made.body)["course"]["id"].get<std::int64_t>();
        const auto published =
            http.post("/api/v1/courses/" + std::to_string(id) + "/publish", "", {auth});
        if (published.status != 200)
          fail_setup("publishing course " + std::to_string(id) + ": " + describe(published));
        courses_[static_cast<std::size_t>(c)] = {id, price};
      }
    });
  }

  // One purchase; false if it did not complete (the error is recorded).
  bool purchase(Http& http, std::int64_t pair, std::vector<Completed>& done, double& order_ms,
                double& webhook_ms, std::int64_t& retries) {
    const auto b = static_cast<std::size_t>(pair % s_.buyers);
    const auto c = static_cast<std::size_t>((pair / s_.buyers + pair % s_.buyers) % s_.courses);
    const auto& buyer = buyers_[b];
    const auto& course = courses_[c];
    const auto started = Clock::now();
    const json order_body = {{"course_id", course.id}, {"provider", "sandbox"}};
    const auto placed =
        http.post("/api/v1/orders", order_body.dump(),
                  {"Authorization: Bearer " + buyer.token,
                   "Idempotency-Key: bench-" + run_id_ + "-" + std::to_string(pair)});
    order_ms = seconds_since(started) * 1000;
    if (placed.status != 201) {
      errors_.add("order " + error_code(placed), describe(placed));
      return false;
    }
    const auto order = json::parse(placed.body)["order"];
    pay_sandbox::Event event;
    char id[64];
    std::snprintf(id, sizeof id, "evt_%s%016" PRIx64, run_id_.c_str(),
                  static_cast<std::uint64_t>(pair));
    event.id = id;
    event.type = std::string(pay_sandbox::kPaymentSucceeded);
    event.order_id = order["id"].get<std::int64_t>();
    event.amount_minor = order["price"]["amount_minor"].get<std::int64_t>();
    event.currency = order["price"]["currency"].get<std::string>();
    event.payment_ref = pay_sandbox::payment_ref(event.order_id);
    event.created_ms = unix_ms();
    const auto body = pay_sandbox::event_body(event);
    const auto webhook_started = Clock::now();
    // A provider delivers again what was not acknowledged (503 busy: a deadlock left after the
    // kernel's own retries); the same event, signed again.
    for (int attempt = 1;; ++attempt) {
      const auto signature = pay_sandbox::signature_header(s_.secret, unix_ms() / 1000, body);
      const auto answer =
          http.post("/api/v1/payments/sandbox/webhook", body, {"Sandbox-Signature: " + signature});
      if (answer.status >= 200 && answer.status < 300) break;
      if (answer.status != 503 || attempt == 5) {
        webhook_ms = seconds_since(webhook_started) * 1000;
        errors_.add("webhook " + error_code(answer), describe(answer));
        return false;
      }
      ++retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
    webhook_ms = seconds_since(webhook_started) * 1000;
    done.push_back({event.order_id, buyer.user_id, course.id, event.amount_minor});
    return true;
  }

  PhaseResult purchase_phase(double duration_s) {
    PhaseResult result;
    const auto total_pairs = static_cast<std::int64_t>(s_.buyers) * s_.courses;
    std::vector<std::vector<double>> whole(static_cast<std::size_t>(s_.clients)),
        orders(whole.size()), webhooks(whole.size());
    std::vector<std::vector<Completed>> done(whole.size());
    std::atomic<std::int64_t> retries{0};
    std::atomic<bool> ran_out{false};
    std::vector<std::unique_ptr<Http>> connections;
    for (int t = 0; t < s_.clients; ++t) connections.push_back(std::make_unique<Http>(s_.url));
    const auto window = meter_.begin();
    const auto deadline = window.start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(duration_s));
    in_parallel(s_.clients, [&](int t) {
      auto& http = *connections[static_cast<std::size_t>(t)];
      const auto i = static_cast<std::size_t>(t);
      std::int64_t my_retries = 0;
      while (Clock::now() < deadline) {
        const auto pair = next_pair_++;
        if (pair >= total_pairs) {
          ran_out = true;
          break;
        }
        double order_ms = 0, webhook_ms = 0;
        if (purchase(http, pair, done[i], order_ms, webhook_ms, my_retries)) {
          whole[i].push_back(order_ms + webhook_ms);
          orders[i].push_back(order_ms);
          webhooks[i].push_back(webhook_ms);
        }
      }
      retries += my_retries;
    });
    result.usage = meter_.end(window);
    std::vector<double> all_whole, all_orders, all_webhooks;
    for (std::size_t i = 0; i < whole.size(); ++i) {
      all_whole.insert(all_whole.end(), whole[i].begin(), whole[i].end());
      all_orders.insert(all_orders.end(), orders[i].begin(), orders[i].end());
      all_webhooks.insert(all_webhooks.end(), webhooks[i].begin(), webhooks[i].end());
      completed_.insert(completed_.end(), done[i].begin(), done[i].end());
    }
    result.done = static_cast<std::int64_t>(all_whole.size());
    result.rate = static_cast<double>(result.done) / result.usage.seconds;
    result.latency = percentiles(all_whole);
    result.first = percentiles(all_orders);
    result.second = percentiles(all_webhooks);
    result.exhausted = ran_out;
    result.retries = retries;
    if (ran_out) exhausted_ = true;
    // Transactions per purchase as the server counted them: START TRANSACTION ... COMMIT,
    // and the one autocommit write of a purchase (the idempotency key's answer).
    if (result.done > 0) {
      const auto& st = result.usage.status;
      auto per = [&](const char* name) {
        return st.count(name) ? st.at(name) / static_cast<double>(result.done) : 0.0;
      };
      char text[64];
      std::snprintf(text, sizeof text, "%.2f", per("Com_commit") + 3);
      measured_commits_ = text;
    }
    return result;
  }

  PhaseResult commit_phase(double duration_s) {
    PhaseResult result;
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(s_.clients));
    std::vector<std::unique_ptr<Mysql>> connections;
    for (int t = 0; t < s_.clients; ++t) connections.push_back(std::make_unique<Mysql>(address_));
    Errors& errors = errors_;
    const auto window = meter_.begin();
    const auto deadline = window.start + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(duration_s));
    in_parallel(s_.clients, [&](int t) {
      auto& db = *connections[static_cast<std::size_t>(t)];
      auto& mine = latencies[static_cast<std::size_t>(t)];
      const std::string prefix =
          "INSERT INTO bench_commits (client, n, at_ms, note) VALUES (" + std::to_string(t) + ", ";
      for (std::int64_t n = 0; Clock::now() < deadline; ++n) {
        const auto sql = prefix + std::to_string(n) + ", " + std::to_string(unix_ms()) +
                         ", 'a single-row autocommit insert')";
        const auto started = Clock::now();
        if (auto error = db.run(sql); !error.empty()) {
          errors.add("commit", error);
          continue;
        }
        mine.push_back(seconds_since(started) * 1000);
      }
    });
    result.usage = meter_.end(window);
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    result.done = static_cast<std::int64_t>(all.size());
    result.rate = static_cast<double>(result.done) / result.usage.seconds;
    result.latency = percentiles(all);
    return result;
  }

  static bool disturbed(const PhaseResult& r) {
    return r.usage.compilers_before + r.usage.compilers_after > 0;
  }

  static double round_trips(const PhaseResult& r) {
    if (r.done == 0) return 0;
    const auto& st = r.usage.status;
    double trips = 0;
    for (const char* name : {"Questions", "Com_admin_commands"})
      if (st.count(name)) trips += st.at(name);
    return trips / static_cast<double>(r.done);
  }

  static std::string cpu_per(const std::optional<double>& cpu_s, std::int64_t n) {
    if (!cpu_s || n == 0) return "?";
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", *cpu_s * 1e6 / static_cast<double>(n));
    return text;
  }

  void print_usage(const PhaseResult& r, const char* unit) {
    const auto& u = r.usage;
    const auto cores = static_cast<double>(std::thread::hardware_concurrency());
    const auto lore = u.lore_cpu.value_or(0) / u.seconds, db = u.db_cpu.value_or(0) / u.seconds,
               self = u.self_cpu / u.seconds;
    std::printf(
        "   CPU per %s, µs: lore %s, mariadbd %s, this client %s\n"
        "   cores busy: lore %.2f, mariadbd %.2f, client %.2f, everything else %.2f, of %.0f%s\n",
        unit, cpu_per(u.lore_cpu, r.done).c_str(), cpu_per(u.db_cpu, r.done).c_str(),
        cpu_per(u.self_cpu, r.done).c_str(), lore, db, self,
        std::max(0.0, u.machine_busy * cores - lore - db - self), cores,
        u.compilers_before + u.compilers_after > 0
            ? ("  (DISTURBED: cc1plus running, " + std::to_string(u.compilers_before) +
               " before, " + std::to_string(u.compilers_after) + " after)")
                  .c_str()
            : "");
    const auto n = static_cast<double>(std::max<std::int64_t>(r.done, 1));
    std::printf("   MariaDB counters per %s:", unit);
    for (const auto& name : kStatusNames)
      if (r.usage.status.count(name))
        std::printf(" %s %.2f", name.c_str(), r.usage.status.at(name) / n);
    std::printf("\n");
  }

  void print_purchases(const PhaseResult& r) {
    std::printf("   %" PRId64
                " purchases completed in %.2f s: %.1f purchases/s%s; webhook retries %" PRId64
                "\n   purchase latency ms: p50 %.2f, p99 %.2f, max %.1f (order p50 %.2f p99 %.2f; "
                "webhook p50 %.2f p99 %.2f)\n",
                r.done, r.usage.seconds, r.rate,
                r.exhausted ? " (the buyer-course pairs ran out)" : "", r.retries, r.latency.p50,
                r.latency.p99, r.latency.max, r.first.p50, r.first.p99, r.second.p50, r.second.p99);
    print_usage(r, "purchase");
  }

  void print_commits(const PhaseResult& r) {
    std::printf("   %" PRId64
                " autocommit single-row INSERTs in %.2f s: %.1f commits/s\n"
                "   commit latency ms: p50 %.3f, p99 %.3f, max %.1f\n",
                r.done, r.usage.seconds, r.rate, r.latency.p50, r.latency.p99, r.latency.max);
    print_usage(r, "commit");
  }

  // The database as the kernel left it, against what the clients counted.
  bool verify() {
    std::printf("\n== Verification in the database (%zu completed purchases)\n", completed_.size());
    bool ok = true;
    auto check = [&](bool holds, const std::string& what) {
      std::printf("   %s %s\n", holds ? "ok  " : "FAIL", what.c_str());
      ok = ok && holds;
    };
    std::map<std::int64_t, std::string> status;
    for (const auto& row : monitor_.rows("SELECT id, status FROM lore_orders"))
      status[std::stoll(row[0])] = row[1];
    std::map<std::pair<std::int64_t, std::int64_t>, int> live;
    for (const auto& row : monitor_.rows(
             "SELECT user_id, course_id, COUNT(*) FROM lore_entitlements WHERE source = 'purchase' "
             "AND revoked_at IS NULL GROUP BY user_id, course_id"))
      live[{std::stoll(row[0]), std::stoll(row[1])}] = std::stoi(row[2]);
    std::map<std::int64_t, int> fulfilled_events;
    for (const auto& row : monitor_.rows(
             "SELECT order_id, COUNT(*) FROM lore_payment_events WHERE outcome = 'fulfilled' "
             "GROUP BY order_id"))
      fulfilled_events[std::stoll(row[0])] = std::stoi(row[1]);

    std::int64_t not_fulfilled = 0, wrong_entitlements = 0, wrong_events = 0, amount = 0;
    std::set<std::int64_t> counted;
    std::set<std::pair<std::int64_t, std::int64_t>> pairs;
    for (const auto& c : completed_) {
      counted.insert(c.order_id);
      pairs.insert({c.user_id, c.course_id});
      amount += c.amount;
      const auto found = status.find(c.order_id);
      const std::string now = found == status.end() ? "missing" : found->second;
      if (now != "fulfilled" && ++not_fulfilled <= 5)
        std::printf("   order %" PRId64 " is '%s'\n", c.order_id, now.c_str());
      const auto e = live.find({c.user_id, c.course_id});
      if (e == live.end() || e->second != 1) ++wrong_entitlements;
      const auto events = fulfilled_events.find(c.order_id);
      if (events == fulfilled_events.end() || events->second != 1) ++wrong_events;
    }
    std::int64_t fulfilled_total = 0, other_total = 0;
    std::map<std::string, std::int64_t> others;
    for (const auto& [id, st] : status) {
      if (st == "fulfilled")
        ++fulfilled_total;
      else
        ++others[st];
      if (!counted.count(id)) ++other_total;
    }
    check(counted.size() == completed_.size() && pairs.size() == completed_.size(),
          "each completed purchase has its own order and its own buyer-course pair");
    check(not_fulfilled == 0,
          std::to_string(completed_.size() - static_cast<std::size_t>(not_fulfilled)) + " of " +
              std::to_string(completed_.size()) + " completed orders are 'fulfilled'");
    check(wrong_entitlements == 0,
          "one live purchase entitlement per completed order's buyer and course (" +
              std::to_string(wrong_entitlements) + " wrong)");
    check(wrong_events == 0, "one payment event 'fulfilled' per completed order (" +
                                 std::to_string(wrong_events) + " wrong)");
    std::string rest;
    for (const auto& [st, n] : others) rest += " " + st + " " + std::to_string(n);
    check(fulfilled_total == static_cast<std::int64_t>(completed_.size()),
          "orders in the database: " + std::to_string(status.size()) + ", fulfilled " +
              std::to_string(fulfilled_total) + (rest.empty() ? "" : ", others:" + rest) +
              " (orders not counted as completed: " + std::to_string(other_total) +
              "; failed purchases: " + std::to_string(errors_.total()) + ")");
    const auto ledger_sum = monitor_.number(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS SIGNED) FROM lore_ledger_entries");
    const auto provider = monitor_.number(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS SIGNED) FROM lore_ledger_entries WHERE "
        "account = 'provider:sandbox'");
    check(ledger_sum == 0, "the ledger sums to " + std::to_string(ledger_sum));
    check(provider == amount, "provider:sandbox holds " + std::to_string(provider) +
                                  ", the completed orders cost " + std::to_string(amount));
    return ok;
  }

  Settings s_;
  MysqlAddress address_;
  Mysql monitor_;
  Meter meter_;
  std::string run_id_;
  std::vector<Buyer> buyers_;
  std::vector<Course> courses_;
  std::atomic<std::int64_t> next_pair_{0};
  bool exhausted_ = false;
  bool stopped_ = false;
  std::vector<Completed> completed_;
  std::string measured_commits_ = "?";
  Errors errors_;
};

}  // namespace

int main(int argc, char** argv) {
  auto settings = parse_arguments(argc, argv);
  // Progress shows as it happens, also through a pipe (bench/purchases.sh tees it).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::cout << std::unitbuf;
  if (sodium_init() < 0) fail_setup("sodium_init failed");
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) fail_setup("curl_global_init failed");
  if (mysql_library_init(0, nullptr, nullptr) != 0) fail_setup("mysql_library_init failed");
  int status = 0;
  {
    Bench bench(std::move(settings));
    status = bench.run();
  }
  mysql_library_end();
  curl_global_cleanup();
  return status;
}
