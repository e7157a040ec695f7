/*
 * A userspace netem for the network-namespace lab (test/helpers/netns.mjs): one host's link to
 * the lab's bridge made of two TAP devices, one in the host's namespace and one in the hub's,
 * with this program carrying every Ethernet frame between them after a delay drawn per frame
 * (delay ± jitter, uniform, as netem draws it), dropping, duplicating or hurrying some. Frames
 * leave in the order of their release times, so jitter wider than the gap between two frames
 * reorders them, as it does under netem. It exists because this machine's kernel has no netem
 * qdisc: the frames here are the real ones (TCP retransmits, SACK, ARP all run as on a bad link).
 *
 *   impair --host-ns PATH --host-dev NAME --hub-dev NAME [--delay MS] [--jitter MS] [--loss PCT]
 *          [--duplicate PCT] [--reorder PCT] [--limit FRAMES] [--seed N]
 *
 * It is started inside the hub's namespace (`ip netns exec HUB impair ...`), creates the hub's
 * TAP there and the host's TAP in --host-ns (a /run/netns path), then prints "ready". Both
 * devices live only while it runs: killing it takes the link down and away. SIGUSR1 prints one
 * JSON line of counters per direction; SIGTERM or SIGINT ends it.
 *
 * --reorder PCT sends that share of frames at once, undelayed (netem's `reorder`); --limit bounds
 * the frames held (netem's `limit`, default 1000): past it a frame is dropped and counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Ethernet frames as a TAP without GSO hands them over: MTU 1500 plus the header, with room. */
#define FRAME_MAX 2048

struct frame {
  uint64_t due_ns;
  uint64_t seq; /* arrival order in its direction, for counting reordering and stable ties */
  int dir;
  size_t len;
  unsigned char data[];
};

struct counts {
  uint64_t in, out, lost, duplicated, hurried, reordered, overflow, write_failed;
  uint64_t next_seq, max_out_seq;
  int any_out;
};

static struct frame **heap;
static size_t heap_len, heap_cap;
static struct counts dir_counts[2];
static volatile sig_atomic_t want_stats, want_exit;
static uint64_t rng_state;

static void die(const char *what) {
  fprintf(stderr, "impair: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: reproducible with --seed, and nothing here needs more than that. */
static double uniform01(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int chance(double pct) { return pct > 0 && uniform01() * 100.0 < pct; }

static int earlier(const struct frame *a, const struct frame *b) {
  return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_push(struct frame *f) {
  if (heap_len == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 256;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) die("realloc");
  }
  size_t i = heap_len++;
  while (i > 0 && earlier(f, heap[(i - 1) / 2])) {
    heap[i] = heap[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  heap[i] = f;
}

static struct frame *heap_pop(void) {
  struct frame *top = heap[0], *last = heap[--heap_len];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= heap_len) break;
    if (c + 1 < heap_len && earlier(heap[c + 1], heap[c])) c++;
    if (!earlier(heap[c], last)) break;
    heap[i] = heap[c];
    i = c;
  }
  if (heap_len > 0) heap[i] = last;
  return top;
}

/* Creates TAP `name` in the namespace this thread is in; the fd is the device's only holder. */
static int open_tap(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (strlen(name) >= IFNAMSIZ) {
    errno = ENAMETOOLONG;
    die(name);
  }
  strcpy(ifr.ifr_name, name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
  return fd;
}

static void enter_ns(int fd, const char *what) {
  if (setns(fd, CLONE_NEWNET) < 0) die(what);
}

static void on_signal(int sig) {
  if (sig == SIGUSR1)
    want_stats = 1;
  else
    want_exit = 1;
}

static void print_stats(void) {
  static const char *names[2] = {"toHost", "fromHost"};
  printf("{");
  for (int d = 0; d < 2; d++) {
    const struct counts *c = &dir_counts[d];
    printf("%s\"%s\":{\"in\":%llu,\"out\":%llu,\"lost\":%llu,\"duplicated\":%llu,\"hurried\":%llu,"
           "\"reordered\":%llu,\"overflow\":%llu,\"writeFailed\":%llu}",
           d ? "," : "", names[d], (unsigned long long)c->in, (unsigned long long)c->out,
           (unsigned long long)c->lost, (unsigned long long)c->duplicated, (unsigned long long)c->hurried,
           (unsigned long long)c->reordered, (unsigned long long)c->overflow,
           (unsigned long long)c->write_failed);
  }
  printf(",\"held\":%zu}\n", heap_len);
  fflush(stdout);
}

static double number(const char *flag, const char *text) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || *end || v < 0) {
    fprintf(stderr, "impair: %s wants a number >= 0, got '%s'\n", flag, text);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  const char *host_ns = NULL, *host_dev = NULL, *hub_dev = NULL;
  double delay_ms = 0, jitter_ms = 0, loss = 0, duplicate = 0, reorder = 0, limit = 1000;
  rng_state = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) {
      fprintf(stderr, "impair: %s wants a value\n", argv[i]);
      return 2;
    }
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host-ns")) host_ns = v;
    else if (!strcmp(k, "--host-dev")) host_dev = v;
    else if (!strcmp(k, "--hub-dev")) hub_dev = v;
    else if (!strcmp(k, "--delay")) delay_ms = number(k, v);
    else if (!strcmp(k, "--jitter")) jitter_ms = number(k, v);
    else if (!strcmp(k, "--loss")) loss = number(k, v);
    else if (!strcmp(k, "--duplicate")) duplicate = number(k, v);
    else if (!strcmp(k, "--reorder")) reorder = number(k, v);
    else if (!strcmp(k, "--limit")) limit = number(k, v);
    else if (!strcmp(k, "--seed")) rng_state = (uint64_t)number(k, v) * 0x9E3779B97F4A7C15ull + 1;
    else {
      fprintf(stderr, "impair: unknown option %s\n", k);
      return 2;
    }
  }
  if (!host_ns || !host_dev || !hub_dev) {
    fprintf(stderr, "impair: --host-ns, --host-dev and --hub-dev are required\n");
    return 2;
  }
  if (jitter_ms > delay_ms) {
    fprintf(stderr, "impair: --jitter must not exceed --delay (a frame cannot leave before it came)\n");
    return 2;
  }

  /* fd 0 is the hub (where we were started), fd 1 the host: direction d carries fd[d] -> fd[1-d]. */
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) die("open /proc/self/ns/net");
  int target = open(host_ns, O_RDONLY | O_CLOEXEC);
  if (target < 0) die(host_ns);
  int fds[2];
  fds[0] = open_tap(hub_dev);
  enter_ns(target, host_ns);
  fds[1] = open_tap(host_dev);
  /* Back home: the lab finds and kills what runs in the hub's namespace when it is removed. */
  enter_ns(home, "setns back to the hub");
  close(target);
  close(home);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigset_t blocked, during_poll;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  /* Signals only land inside ppoll, so a flag is never set just after it was checked. */
  sigprocmask(SIG_BLOCK, &blocked, &during_poll);

  printf("ready\n");
  fflush(stdout);

  const uint64_t delay_ns = (uint64_t)(delay_ms * 1e6), jitter_ns = (uint64_t)(jitter_ms * 1e6);
  unsigned char buf[FRAME_MAX];
  while (!want_exit) {
    if (want_stats) {
      want_stats = 0;
      print_stats();
    }
    uint64_t now = now_ns();
    while (heap_len > 0 && heap[0]->due_ns <= now) {
      struct frame *f = heap_pop();
      struct counts *c = &dir_counts[f->dir];
      if (write(fds[1 - f->dir], f->data, f->len) == (ssize_t)f->len) {
        c->out++;
        if (c->any_out && f->seq < c->max_out_seq) c->reordered++;
        if (!c->any_out || f->seq > c->max_out_seq) c->max_out_seq = f->seq;
        c->any_out = 1;
      } else {
        c->write_failed++;
      }
      free(f);
    }
    struct timespec wait, *waitp = NULL;
    if (heap_len > 0) {
      uint64_t left = heap[0]->due_ns - now;
      wait.tv_sec = (time_t)(left / 1000000000u);
      wait.tv_nsec = (long)(left % 1000000000u);
      waitp = &wait;
    }
    struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
    if (ppoll(p, 2, waitp, &during_poll) < 0) {
      if (errno == EINTR) continue;
      die("ppoll");
    }
    for (int d = 0; d < 2; d++) {
      if (!(p[d].revents & POLLIN)) continue;
      /* A bounded batch per wake, so one busy direction cannot starve the other or the clock. */
      for (int n = 0; n < 64; n++) {
        ssize_t len = read(fds[d], buf, sizeof buf);
        if (len < 0) {
          if (errno == EAGAIN || errno == EINTR) break;
          die("read");
        }
        struct counts *c = &dir_counts[d];
        c->in++;
        if (chance(loss)) {
          c->lost++;
          continue;
        }
        int copies = chance(duplicate) ? 2 : 1;
        if (copies == 2) c->duplicated++;
        uint64_t seq = c->next_seq++;
        uint64_t at = now_ns();
        for (int k = 0; k < copies; k++) {
          if (heap_len >= (size_t)limit) {
            c->overflow++;
            continue;
          }
          uint64_t due = at;
          if (chance(reorder)) {
            c->hurried++;
          } else {
            due += delay_ns - jitter_ns + (uint64_t)(uniform01() * 2.0 * (double)jitter_ns);
          }
          struct frame *f = malloc(sizeof *f + (size_t)len);
          if (!f) die("malloc");
          f->due_ns = due;
          f->seq = seq;
          f->dir = d;
          f->len = (size_t)len;
          memcpy(f->data, buf, (size_t)len);
          heap_push(f);
        }
      }
    }
  }
  print_stats();
  return 0;
}
