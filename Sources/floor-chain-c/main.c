#define _GNU_SOURCE
// The warm-invoke floor of this machine, in C: the lab's warm path with nothing but the protocol.
//
//   floor-chain-c emulator        prints "PORTS <invoke> <runtime>", then serves one runtime and
//                                 one client: each invoke is handed to the runtime's parked
//                                 GET /next, its POST .../response goes back to the client, then
//                                 the runtime gets its 202 and parks again.
//   floor-chain-c runtime PORT    a runtime loop that answers every event at once.
//
// Blocking sockets, kept-alive connections, TCP_NODELAY: three processes (the benchmark's own
// client is the third), as close to the kernel's floor as a Lambda emulator can be. The benchmark
// measures the lab with the same client, so the ratio of the two is the lab's own overhead.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;
    char buffer[65536];
    size_t start, end;
} wire;

typedef struct {
    char head[8192];
    size_t head_length;
    char body[65536];
    size_t body_length;
} message;

static void die(const char *what) { perror(what); exit(1); }

static void no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int listen_loopback(unsigned short *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
    if (listen(fd, 16) < 0) die("listen");
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    *port = ntohs(address.sin_port);
    return fd;
}

static int accept_one(int listener) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) die("accept");
    no_delay(fd);
    return fd;
}

static void send_all(int fd, const char *bytes, size_t count) {
    while (count > 0) {
        ssize_t written = send(fd, bytes, count, MSG_NOSIGNAL);
        if (written <= 0) exit(0);
        bytes += written;
        count -= (size_t)written;
    }
}

// Reads one message (head up to the blank line, then Content-Length bytes). 0 at end of stream.
static int read_message(wire *w, message *m) {
    for (;;) {
        char *blank = memmem(w->buffer + w->start, w->end - w->start, "\r\n\r\n", 4);
        if (blank) {
            size_t head = (size_t)(blank - (w->buffer + w->start)) + 4;
            if (head >= sizeof m->head) return 0;
            memcpy(m->head, w->buffer + w->start, head);
            m->head[head] = 0;
            m->head_length = head;
            size_t length = 0;
            for (char *line = m->head; line && *line; line = strstr(line, "\r\n")) {
                if (*line == '\r') line += 2;
                if (strncasecmp(line, "content-length:", 15) == 0) length = strtoul(line + 15, NULL, 10);
                line = strstr(line, "\r\n");
                if (!line) break;
            }
            if (length > sizeof m->body) return 0;
            while (w->end - w->start < head + length) {
                if (w->end == sizeof w->buffer) {
                    memmove(w->buffer, w->buffer + w->start, w->end - w->start);
                    w->end -= w->start;
                    w->start = 0;
                }
                ssize_t count = recv(w->fd, w->buffer + w->end, sizeof w->buffer - w->end, 0);
                if (count <= 0) return 0;
                w->end += (size_t)count;
            }
            memcpy(m->body, w->buffer + w->start + head, length);
            m->body_length = length;
            w->start += head + length;
            if (w->start == w->end) w->start = w->end = 0;
            return 1;
        }
        if (w->start > 0) {
            memmove(w->buffer, w->buffer + w->start, w->end - w->start);
            w->end -= w->start;
            w->start = 0;
        }
        if (w->end == sizeof w->buffer) return 0;
        ssize_t count = recv(w->fd, w->buffer + w->end, sizeof w->buffer - w->end, 0);
        if (count <= 0) return 0;
        w->end += (size_t)count;
    }
}

static void write_message(int fd, const char *head, const char *body, size_t body_length) {
    static char out[65536 + 1024];
    size_t head_length = strlen(head);
    memcpy(out, head, head_length);
    memcpy(out + head_length, body, body_length);
    send_all(fd, out, head_length + body_length);
}

static int emulator(void) {
    unsigned short invoke_port, runtime_port;
    int invoke_listener = listen_loopback(&invoke_port), runtime_listener = listen_loopback(&runtime_port);
    printf("PORTS %u %u\n", invoke_port, runtime_port);
    fflush(stdout);
    static wire runtime, client;
    static message next, invoke, response;
    runtime.fd = accept_one(runtime_listener);
    client.fd = accept_one(invoke_listener);
    char head[512];
    for (unsigned long number = 1;; number++) {
        if (!read_message(&runtime, &next) || !read_message(&client, &invoke)) return 0;
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: %lu\r\nLambda-Runtime-Deadline-Ms: 0\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", number, invoke.body_length);
        write_message(runtime.fd, head, invoke.body, invoke.body_length);
        if (!read_message(&runtime, &response)) return 0;
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", response.body_length);
        write_message(client.fd, head, response.body, response.body_length);
        send_all(runtime.fd, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 44);
    }
}

static int runtime_loop(unsigned short port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    no_delay(fd);
    static wire api;
    static message event, accepted;
    api.fd = fd;
    // About the size of the worker's answer.
    static const char answer[] = "{\"invocationCount\":1,\"connectedIn\":\"init\",\"connectionsOpened\":0,\"reconnected\":false,"
                                 "\"foundScratchFile\":true,\"initializationType\":\"on-demand\",\"pid\":12345}";
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char head[512];
    for (;;) {
        send_all(fd, next, sizeof next - 1);
        if (!read_message(&api, &event)) return 0;
        char id[128] = "0";
        char *line = strcasestr(event.head, "lambda-runtime-aws-request-id:");
        if (line) sscanf(line + 30, " %127[^\r\n]", id);
        snprintf(head, sizeof head, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Length: %zu\r\n\r\n", id, sizeof answer - 1);
        write_message(fd, head, answer, sizeof answer - 1);
        if (!read_message(&api, &accepted)) return 0;
    }
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "emulator") == 0) return emulator();
    if (argc >= 3 && strcmp(argv[1], "runtime") == 0) return runtime_loop((unsigned short)atoi(argv[2]));
    // Started by the lab as a function (AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT): the same runtime.
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (api && strchr(api, ':')) return runtime_loop((unsigned short)atoi(strchr(api, ':') + 1));
    fprintf(stderr, "usage: floor-chain-c emulator | runtime PORT (or as a Lambda runtime with AWS_LAMBDA_RUNTIME_API)\n");
    return 2;
}
