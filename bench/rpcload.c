/*
 * rpcload: a load generator for uwsgi RPC servers (modifier1 173), one thread, epoll.
 *
 *   rpcload [-c conns] [-d secs] [-k] [-p depth] [-r] [-u /path.sock] [-v] HOST:PORT FUNC [ARG...]
 *
 * Prints one line when the run ends:
 *   calls=N secs=S rate=R/s p50_us=A p99_us=B errors=E bytes=B
 * The bench scripts (bench/lib/procs.mjs, bench/soak.mjs, bench/cluster.bench.mjs) parse it.
 *
 * Built by the benchmarks with `cc -O2` into bench/.out/. C99 + Linux, no dependencies.
 *
 * It must not be the bottleneck of the servers it measures: every buffer is allocated once
 * at start, answers are parsed as they stream in (never stored), latencies go to a fixed
 * log-linear histogram, and no call blocks.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RPC_MODIFIER1 173
#define MODIFIER2_UWSGI 0
#define MODIFIER2_RAW 1
#define MODIFIER2_DICT 5 /* answers only: a CONTENT_LENGTH dict, then that many raw bytes */
#define MAX_BODY 65535   /* datasize is a u16 */
#define MAX_DEPTH 64
#define MAX_CONNS 10000
#define READ_BUF (256 * 1024)
/* After a failed connection a slot waits this long before its next try: a refused port or a
 * missing unix path must not turn the run into a busy loop of millions of errors. */
#define RETRY_MS 1

static const char CONTENT_LENGTH[] = "CONTENT_LENGTH";
#define CL_LEN (sizeof CONTENT_LENGTH - 1)

#define SYNOPSIS "usage: rpcload [-c conns] [-d secs] [-k] [-p depth] [-r] [-u /path.sock] [-v] HOST:PORT FUNC [ARG...]\n"

static void usage(FILE *to)
{
    fprintf(to,
            SYNOPSIS
            "  calls FUNC(ARG...) over the uwsgi RPC protocol (modifier1 173) for secs seconds\n"
            "  -c conns   concurrent connections, 1..%d (default 16)\n"
            "  -d secs    duration in seconds, may be fractional (default 1)\n"
            "  -k         keep each connection for the next call (default: a new connection per call);\n"
            "             requests then carry the keep-open mark (a leading empty item, skipped by uWSGI)\n"
            "  -p depth   pipeline depth requests per connection, 1..%d (implies -k)\n"
            "  -r         ask for the raw answer (modifier2 1), read until the server closes\n"
            "  -u path    connect to this unix socket (HOST:PORT is then ignored)\n"
            "  -v         print every error to stderr\n"
            "HOST is an IPv4 address. Prints: calls=N secs=S rate=R/s p50_us=A p99_us=B errors=E bytes=B\n",
            MAX_CONNS, MAX_DEPTH);
}

static void bad_usage(const char *why)
{
    fprintf(stderr, "rpcload: %s\n" SYNOPSIS "(rpcload -h for the options)\n", why);
    exit(2);
}

/* ---- latency histogram: exact below 2048 us, then 1024 steps per power of two (< 0.1%) ---- */

#define SUB_BITS 10
#define SUB (1u << SUB_BITS)
#define HIST_SIZE (2 * SUB + 54 * SUB)
static uint64_t hist[HIST_SIZE];

static unsigned hist_index(uint64_t us)
{
    if (us < 2 * SUB) return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned e = msb - SUB_BITS;
    unsigned idx = 2 * SUB + (e - 1) * SUB + (unsigned)((us >> e) - SUB);
    return idx < HIST_SIZE ? idx : HIST_SIZE - 1;
}

static uint64_t hist_value(unsigned idx)
{
    if (idx < 2 * SUB) return idx;
    unsigned e = (idx - 2 * SUB) / SUB + 1;
    uint64_t m = (idx - 2 * SUB) % SUB + SUB;
    return (m << e) + (1ull << (e - 1)); /* the middle of the bucket */
}

/* The smallest recorded value v with at least q of all calls <= v. */
static uint64_t percentile(uint64_t total, double q)
{
    if (total == 0) return 0;
    double want = q * (double)total;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want || rank < 1) rank++;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_SIZE; i++) {
        seen += hist[i];
        if (seen >= rank) return hist_value(i);
    }
    return hist_value(HIST_SIZE - 1);
}

/* ---- options and the prebuilt request ---- */

static int conns = 16;
static double duration = 1.0;
static int keep_alive;
static int depth = 1;
static int raw;
static int verbose;
static const char *unix_path;
static struct sockaddr_in tcp_addr;
static struct sockaddr_un unix_addr;

static unsigned char *requests; /* depth copies of the request, back to back */
static size_t request_len;

/* ---- connections ---- */

enum state { IDLE, RETRY, CONNECTING, ACTIVE };
/* What the answer parser expects next. */
enum part { HEADER, BODY, DICT_KEYLEN, DICT_KEY, DICT_VALLEN, DICT_VAL, RAW_BODY };

struct conn {
    int fd;
    uint32_t gen; /* bumped per socket: stale epoll events of a closed socket are ignored */
    enum state state;
    int want_out; /* EPOLLOUT is in the interest set */
    size_t sent, to_send;
    int answered; /* answers of the current batch */
    uint64_t t_send;
    uint64_t retry_at;
    /* answer parser */
    enum part part;
    unsigned char hdr[4];
    unsigned hdr_have;
    uint64_t left;      /* BODY/RAW_BODY: bytes still due */
    uint32_t dict_left; /* DICT_*: dict bytes still due */
    unsigned short field_len, field_left;
    unsigned char len_bytes[2];
    unsigned len_have;
    int key_matches, have_cl;
    unsigned cl_digits;
    uint64_t content_length;
    uint64_t raw_bytes;
};

static struct conn *pool;
static int epfd;
static uint64_t calls, errors, bytes_read;
static int retrying; /* connections in state RETRY: the main loop looks for them only then */
static unsigned char readbuf[READ_BUF];

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void report_error(struct conn *c, const char *what, int err)
{
    errors++;
    if (verbose) {
        if (err) fprintf(stderr, "rpcload: connection %d: %s: %s\n", (int)(c - pool), what, strerror(err));
        else fprintf(stderr, "rpcload: connection %d: %s\n", (int)(c - pool), what);
    }
}

static void close_conn(struct conn *c)
{
    if (c->fd >= 0) close(c->fd); /* also drops it from the epoll set */
    c->fd = -1;
    c->gen++;
    c->state = IDLE;
}

static void retry_later(struct conn *c)
{
    c->state = RETRY;
    c->retry_at = now_us() + RETRY_MS * 1000;
    retrying++;
}

/* A failed connection: one error, and the slot tries again a little later. */
static void fail_conn(struct conn *c, const char *what, int err)
{
    report_error(c, what, err);
    close_conn(c);
    retry_later(c);
}

static int set_events(struct conn *c, int out)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
    ev.data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)(c - pool);
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        fail_conn(c, "epoll_ctl", errno);
        return -1;
    }
    c->want_out = out;
    return 0;
}

static void reset_parser(struct conn *c)
{
    c->part = raw ? RAW_BODY : HEADER;
    c->hdr_have = 0;
    c->raw_bytes = 0;
}

/* Writes what is left of the batch; 0 when all sent or waiting for EPOLLOUT, -1 on failure. */
static int flush(struct conn *c)
{
    while (c->sent < c->to_send) {
        ssize_t n = send(c->fd, requests + c->sent, c->to_send - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return c->want_out ? 0 : set_events(c, 1);
            fail_conn(c, "send", errno);
            return -1;
        }
        c->sent += (size_t)n;
    }
    return c->want_out ? set_events(c, 0) : 0;
}

static int send_batch(struct conn *c)
{
    c->sent = 0;
    c->to_send = request_len * (size_t)depth;
    c->answered = 0;
    reset_parser(c);
    c->t_send = now_us();
    return flush(c);
}

static void start_conn(struct conn *c)
{
    int family = unix_path ? AF_UNIX : AF_INET;
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        c->fd = -1;
        fail_conn(c, "socket", errno);
        return;
    }
    c->fd = fd;
    c->gen++;
    c->want_out = 1;
    if (!unix_path) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    int r = unix_path ? connect(fd, (struct sockaddr *)&unix_addr, sizeof unix_addr)
                      : connect(fd, (struct sockaddr *)&tcp_addr, sizeof tcp_addr);
    if (r < 0 && errno != EINPROGRESS) {
        /* a unix listener's full backlog: not an error of the server, try again soon */
        if (unix_path && errno == EAGAIN) {
            close_conn(c);
            retry_later(c);
            return;
        }
        fail_conn(c, "connect", errno);
        return;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)(c - pool);
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail_conn(c, "epoll_ctl", errno);
        return;
    }
    if (r == 0) {
        c->state = ACTIVE;
        send_batch(c);
    } else {
        c->state = CONNECTING;
    }
}

/* One answer is whole: count it; the batch done, either the next batch or a new connection. */
static int answer_done(struct conn *c, uint64_t t)
{
    calls++;
    hist[hist_index(t - c->t_send)]++;
    if (++c->answered < depth) {
        reset_parser(c);
        return 0;
    }
    if (keep_alive) return send_batch(c) < 0 ? -1 : 0;
    close_conn(c);
    start_conn(c);
    return 1; /* this socket is gone */
}

static int read_u16(struct conn *c, const unsigned char **p, const unsigned char *end, unsigned short *out)
{
    while (c->len_have < 2 && *p < end) c->len_bytes[c->len_have++] = *(*p)++;
    if (c->len_have < 2) return 0;
    *out = (unsigned short)(c->len_bytes[0] | (c->len_bytes[1] << 8));
    c->len_have = 0;
    return 1;
}

/*
 * Feeds bytes read to the answer parser. Returns 0 to go on reading, 1 when the socket was
 * closed or replaced (the batch done in connection-per-call mode), -1 on failure (already
 * counted and closed).
 */
static int feed(struct conn *c, const unsigned char *p, size_t n, uint64_t t)
{
    const unsigned char *end = p + n;
    while (p < end) {
        switch (c->part) {
        case RAW_BODY:
            c->raw_bytes += (uint64_t)(end - p);
            p = end;
            break;
        case HEADER:
            while (c->hdr_have < 4 && p < end) c->hdr[c->hdr_have++] = *p++;
            if (c->hdr_have < 4) break;
            if (c->hdr[0] != RPC_MODIFIER1) {
                fail_conn(c, "answer header: modifier1 is not 173", 0);
                return -1;
            }
            if (c->hdr[3] == MODIFIER2_UWSGI) {
                c->left = (uint64_t)(c->hdr[1] | (c->hdr[2] << 8));
                c->part = BODY;
            } else if (c->hdr[3] == MODIFIER2_DICT) {
                c->dict_left = (uint32_t)(c->hdr[1] | (c->hdr[2] << 8));
                c->have_cl = 0;
                c->len_have = 0;
                c->part = DICT_KEYLEN;
            } else {
                fail_conn(c, "answer header: modifier2 is neither 0 nor 5", 0);
                return -1;
            }
            if (c->part == BODY && c->left == 0) {
                int r = answer_done(c, t);
                if (r) return r;
            }
            break;
        case BODY: {
            uint64_t take = (uint64_t)(end - p) < c->left ? (uint64_t)(end - p) : c->left;
            p += take;
            c->left -= take;
            if (c->left == 0) {
                int r = answer_done(c, t);
                if (r) return r;
            }
            break;
        }
        case DICT_KEYLEN:
        case DICT_VALLEN: {
            if (c->dict_left == 0) goto dict_end;
            const unsigned char *from = p;
            unsigned short len;
            int whole = read_u16(c, &p, end, &len);
            if ((uint32_t)(p - from) > c->dict_left) goto bad_dict;
            c->dict_left -= (uint32_t)(p - from);
            if (!whole) break;
            if (len > c->dict_left) goto bad_dict;
            c->field_len = c->field_left = len;
            if (c->part == DICT_KEYLEN) {
                c->key_matches = len == CL_LEN;
                c->part = DICT_KEY;
            } else {
                c->cl_digits = 0;
                if (c->key_matches) c->content_length = 0;
                c->part = DICT_VAL;
            }
            if (len == 0) goto field_end;
            break;
        }
        case DICT_KEY:
        case DICT_VAL:
            while (c->field_left > 0 && p < end) {
                unsigned char b = *p++;
                unsigned at = (unsigned)(c->field_len - c->field_left);
                c->field_left--;
                c->dict_left--;
                if (c->part == DICT_KEY) {
                    if (c->key_matches && b != (unsigned char)CONTENT_LENGTH[at]) c->key_matches = 0;
                } else if (c->key_matches) {
                    if (b < '0' || b > '9' || ++c->cl_digits > 19) goto bad_dict;
                    c->content_length = c->content_length * 10 + (uint64_t)(b - '0');
                }
            }
            if (c->field_left > 0) break;
        field_end:
            if (c->part == DICT_KEY) {
                c->part = DICT_VALLEN;
            } else {
                if (c->key_matches) {
                    if (c->cl_digits == 0) goto bad_dict;
                    c->have_cl = 1;
                }
                c->part = DICT_KEYLEN;
                if (c->dict_left == 0) goto dict_end;
            }
            break;
        dict_end:
            if (c->part != DICT_KEYLEN || c->len_have != 0 || !c->have_cl) goto bad_dict;
            c->left = c->content_length;
            c->part = BODY;
            if (c->left == 0) {
                int r = answer_done(c, t);
                if (r) return r;
            }
            break;
        }
    }
    return 0;
bad_dict:
    fail_conn(c, "answer: bad 64-bit form dict (no valid CONTENT_LENGTH)", 0);
    return -1;
}

static void on_readable(struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, readbuf, sizeof readbuf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            fail_conn(c, "recv", errno);
            return;
        }
        uint64_t t = now_us();
        if (n == 0) {
            if (raw && c->part == RAW_BODY && c->raw_bytes > 0 && c->sent == c->to_send) {
                answer_done(c, t);
                return;
            }
            fail_conn(c, c->answered == 0 && c->hdr_have == 0 ? "closed without an answer" : "closed in the middle of an answer", 0);
            return;
        }
        bytes_read += (uint64_t)n;
        if (feed(c, readbuf, (size_t)n, t) != 0) return;
        if ((size_t)n < sizeof readbuf) return; /* level-triggered: epoll says when there is more */
    }
}

static void on_event(struct conn *c, uint32_t events)
{
    if (c->state == CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err) {
            fail_conn(c, "connect", err);
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        c->state = ACTIVE;
        if (send_batch(c) < 0) return;
        if (!(events & EPOLLIN)) return;
    }
    if (c->state != ACTIVE) return;
    if ((events & EPOLLOUT) && c->sent < c->to_send && flush(c) < 0) return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
}

static int parse_positive_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static void parse_target(const char *target)
{
    const char *colon = strrchr(target, ':');
    char host[INET_ADDRSTRLEN];
    int port;
    if (!colon || (size_t)(colon - target) >= sizeof host) bad_usage("HOST:PORT: want an IPv4 address and a port, e.g. 127.0.0.1:3031");
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = 0;
    memset(&tcp_addr, 0, sizeof tcp_addr);
    tcp_addr.sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &tcp_addr.sin_addr) != 1) bad_usage("HOST:PORT: HOST must be an IPv4 address");
    if (parse_positive_int(colon + 1, 1, 65535, &port) < 0) bad_usage("HOST:PORT: PORT must be 1..65535");
    tcp_addr.sin_port = htons((unsigned short)port);
}

/* The uwsgi request: header (173, datasize u16 LE, modifier2) + items (u16 LE length + bytes).
 * With -k every request starts with an empty item, the keep-open mark: a server that ends a
 * connection whose first request comes alone (as uWSGI does, and uwsgi-rpc by default) keeps a
 * marked one open. uWSGI skips an empty item followed by more. */
static void build_request(int nitems, char **items)
{
    size_t mark = keep_alive ? 2 : 0;
    size_t body = mark;
    for (int i = 0; i < nitems; i++) {
        size_t len = strlen(items[i]);
        if (len > MAX_BODY) bad_usage("an item is longer than 65535 bytes");
        body += 2 + len;
    }
    if (body > MAX_BODY) bad_usage("FUNC and ARGs take more than 65535 bytes (the u16 datasize)");
    if (strlen(items[0]) == 0) bad_usage("FUNC must not be empty");
    request_len = 4 + body;
    requests = malloc(request_len * (size_t)depth);
    if (!requests) {
        perror("rpcload: malloc");
        exit(1);
    }
    unsigned char *p = requests;
    *p++ = RPC_MODIFIER1;
    *p++ = (unsigned char)(body & 0xff);
    *p++ = (unsigned char)(body >> 8);
    *p++ = raw ? MODIFIER2_RAW : MODIFIER2_UWSGI;
    for (size_t i = 0; i < mark; i++) *p++ = 0;
    for (int i = 0; i < nitems; i++) {
        size_t len = strlen(items[i]);
        *p++ = (unsigned char)(len & 0xff);
        *p++ = (unsigned char)(len >> 8);
        memcpy(p, items[i], len);
        p += len;
    }
    for (int i = 1; i < depth; i++) memcpy(requests + request_len * (size_t)i, requests, request_len);
}

/* Room for every connection's socket, plus stdio and epoll. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)conns + 16;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    int opt;
    /* '+': stop at FUNC, so that an ARG starting with '-' is an ARG */
    while ((opt = getopt(argc, argv, "+c:d:hkp:ru:v")) != -1) {
        switch (opt) {
        case 'c':
            if (parse_positive_int(optarg, 1, MAX_CONNS, &conns) < 0) bad_usage("-c: want 1..10000 connections");
            break;
        case 'd': {
            char *end;
            errno = 0;
            duration = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(duration > 0) || duration > 1e7) bad_usage("-d: want a duration in seconds > 0");
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'k':
            keep_alive = 1;
            break;
        case 'p':
            if (parse_positive_int(optarg, 1, MAX_DEPTH, &depth) < 0) bad_usage("-p: want a depth of 1..64");
            keep_alive = 1;
            break;
        case 'r':
            raw = 1;
            break;
        case 'u':
            unix_path = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        default:
            bad_usage("unknown option or missing value");
        }
    }
    if (argc - optind < 2) bad_usage("want HOST:PORT and FUNC");
    if (raw && keep_alive) bad_usage("-r: a raw answer ends with the connection, so -k and -p do not apply");
    if (unix_path) {
        if (strlen(unix_path) >= sizeof unix_addr.sun_path) bad_usage("-u: the socket path is too long");
        memset(&unix_addr, 0, sizeof unix_addr);
        unix_addr.sun_family = AF_UNIX;
        strcpy(unix_addr.sun_path, unix_path);
    } else {
        parse_target(argv[optind]);
    }
    build_request(argc - optind - 1, argv + optind + 1);
    raise_fd_limit();

    signal(SIGPIPE, SIG_IGN);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    pool = calloc((size_t)conns, sizeof *pool);
    struct epoll_event *events = calloc((size_t)conns, sizeof *events);
    if (epfd < 0 || !pool || !events) {
        perror("rpcload: setup");
        return 1;
    }

    uint64_t t0 = now_us();
    uint64_t deadline = t0 + (uint64_t)(duration * 1e6);
    for (int i = 0; i < conns; i++) {
        pool[i].fd = -1;
        start_conn(&pool[i]);
    }
    uint64_t t = t0;
    while (t < deadline) {
        for (int i = 0, waiting = retrying; i < conns && waiting > 0; i++) {
            if (pool[i].state == RETRY) {
                waiting--;
                if (pool[i].retry_at <= t) {
                    retrying--;
                    start_conn(&pool[i]); /* may count it again */
                }
            }
        }
        uint64_t wait_us = deadline - t;
        if (retrying && wait_us > RETRY_MS * 1000) wait_us = RETRY_MS * 1000;
        int timeout = (int)((wait_us + 999) / 1000);
        int n = epoll_wait(epfd, events, conns, timeout);
        if (n < 0 && errno != EINTR) {
            perror("rpcload: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = &pool[(uint32_t)events[i].data.u64];
            if ((uint32_t)(events[i].data.u64 >> 32) != c->gen || c->fd < 0) continue;
            on_event(c, events[i].events);
        }
        t = now_us();
    }
    double secs = (double)(t - t0) / 1e6;
    for (int i = 0; i < conns; i++) close_conn(&pool[i]);

    printf("calls=%llu secs=%.3f rate=%.1f/s p50_us=%llu p99_us=%llu errors=%llu bytes=%llu\n",
           (unsigned long long)calls, secs, secs > 0 ? (double)calls / secs : 0.0,
           (unsigned long long)percentile(calls, 0.50), (unsigned long long)percentile(calls, 0.99),
           (unsigned long long)errors, (unsigned long long)bytes_read);
    return 0;
}
