/*
 * nfq-delay: holds every packet queued to an NFQUEUE for a fixed time, then accepts it.
 *
 * The e2e harness uses it where the kernel has no sch_netem: iptables sends the namespace's
 * loopback traffic to the queue (and drops a random share of it first, with -m statistic),
 * and this program adds the delay. The delay is the same for every packet, so a FIFO keeps
 * them in order and the head is always the next one due.
 *
 *   nfq-delay QUEUE_NUM DELAY_MS
 *
 * Prints "ready" on stdout once bound, so the harness adds the iptables rule only when a
 * listener exists (without one the kernel drops queued packets, which a test would notice).
 * On SIGTERM/SIGINT it accepts whatever it still holds and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

/* Packets held at once; more than a 100 ms window of a loopback call at full file speed. */
#define CAPACITY 65536

struct held {
  uint32_t id;
  int64_t due_ns;
};

static struct held fifo[CAPACITY];
static size_t head, count;
static int64_t delay_ns;
static uint64_t overflowed, released;
/* How late releases were against their due time: the emulator's own error, reported on exit. */
static int64_t late_total_ns, late_max_ns;
static volatile sig_atomic_t stopping;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (count == CAPACITY) {
    /* A full queue drops, as a router's would; counted so the harness can report it. */
    overflowed++;
    return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  }
  fifo[(head + count) % CAPACITY] = (struct held){id, now_ns() + delay_ns};
  count++;
  return 0;
}

static void release_due(struct nfq_q_handle *qh, int all) {
  int64_t now = now_ns();
  while (count > 0 && (all || fifo[head].due_ns <= now)) {
    if (!all) {
      int64_t late = now - fifo[head].due_ns;
      late_total_ns += late;
      if (late > late_max_ns) late_max_ns = late;
      released++;
    }
    nfq_set_verdict(qh, fifo[head].id, NF_ACCEPT, 0, NULL);
    head = (head + 1) % CAPACITY;
    count--;
  }
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS\n", argv[0]);
    return 2;
  }
  uint16_t queue = (uint16_t)atoi(argv[1]);
  delay_ns = (int64_t)atoll(argv[2]) * 1000000;

  struct nfq_handle *h = nfq_open();
  if (!h) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle *qh = nfq_create_queue(h, queue, &on_packet, NULL);
  if (!qh) {
    perror("nfq_create_queue");
    return 1;
  }
  /* Only the metadata: the verdict needs the packet id, never the payload. */
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
    perror("nfq_set_mode");
    return 1;
  }
  nfq_set_queue_maxlen(qh, CAPACITY);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 * 1024 * 1024);

  /* Never outlive the test runner: an orphan would keep lo's queue served after a crash. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /*
   * netem's timers run in the kernel; a delayer starved by a busy box would add its own lag
   * (31 ms on average at load 23, measured). It sleeps in poll() between packets, so a
   * real-time priority costs the rest of the machine next to nothing. Without the privilege,
   * carry on at normal priority: the exit report shows the lag either way.
   */
  struct sched_param rt = {.sched_priority = 10};
  if (sched_setscheduler(0, SCHED_FIFO, &rt) != 0) perror("nfq-delay: no real-time priority");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  printf("ready\n");
  fflush(stdout);

  int fd = nfq_fd(h);
  char buf[65536] __attribute__((aligned));
  while (!stopping) {
    int timeout_ms = -1;
    if (count > 0) {
      int64_t wait = fifo[head].due_ns - now_ns();
      timeout_ms = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);
    }
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      perror("poll");
      break;
    }
    if (ready > 0) {
      /* Drain what is waiting without blocking, so a burst does not postpone due releases. */
      for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
          /* ENOBUFS: the kernel's socket buffer overflowed and it dropped some; keep going. */
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOBUFS) break;
          perror("recv");
          stopping = 1;
          break;
        }
        nfq_handle_packet(h, buf, (int)n);
      }
    }
    release_due(qh, 0);
  }
  release_due(qh, 1);
  fprintf(stderr,
          "nfq-delay: stopped; %llu packets released, late by %.2f ms on average and %.1f ms at "
          "most; %llu dropped on a full queue\n",
          (unsigned long long)released, released ? late_total_ns / 1e6 / (double)released : 0.0,
          late_max_ns / 1e6, (unsigned long long)overflowed);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
