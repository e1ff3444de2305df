// keepalive_socket: the few socket calls Node lacks (raw IP, AF_PACKET and netlink sockets, recvmsg
// with ancillary data, readiness callbacks, and setns for keepalived's net_namespace), the real-time
// signals keepalived's dump signals use, and malloc_trim, exposed as thin N-API functions. Nothing
// here knows a protocol: addresses, option values, ancillary payloads and packets are byte buffers
// encoded and decoded in TypeScript (runtime/src/net/). Every socket is non-blocking and close-on-exec.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// Ancillary data on receive: the IPv6 pktinfo and hop limit plus the IPv4 pktinfo and TTL fit in
// well under this; a larger message is reported through MSG_CTRUNC in `flags`.
#define CONTROL_BYTES 512

// Throws an Error whose .code is the errno name ('EPERM'), with .errno and .syscall, as Node does.
static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  const char *name = strerrorname_np(err);
  char message[256];
  snprintf(message, sizeof message, "%s: %s (%s)", syscall, name ? name : "EUNKNOWN", strerror(err));
  napi_value msg, code, error, errno_value, syscall_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

// Reads argument i as an int32; false (with a pending TypeError) if it is not a number.
static int arg_int(napi_env env, napi_value *argv, size_t argc, size_t i, int32_t *out) {
  napi_valuetype t = napi_undefined;
  if (i < argc) napi_typeof(env, argv[i], &t);
  if (t != napi_number) { throw_type(env, "expected a number argument"); return 0; }
  napi_get_value_int32(env, argv[i], out);
  return 1;
}

// Reads argument i as a Buffer/Uint8Array; null or undefined give (NULL, 0) when `optional` is set.
static int arg_bytes(napi_env env, napi_value *argv, size_t argc, size_t i, int optional, void **data, size_t *len) {
  *data = NULL;
  *len = 0;
  napi_valuetype t = napi_undefined;
  if (i < argc) napi_typeof(env, argv[i], &t);
  if (optional && (t == napi_null || t == napi_undefined)) return 1;
  bool is_typed = false;
  if (i < argc) napi_is_typedarray(env, argv[i], &is_typed);
  if (!is_typed) { throw_type(env, "expected a Buffer argument"); return 0; }
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  napi_get_typedarray_info(env, argv[i], &type, len, data, &ab, &offset);
  if (type != napi_uint8_array) { throw_type(env, "expected a Buffer (Uint8Array) argument"); return 0; }
  return 1;
}

static napi_value int_value(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value copy_buffer(napi_env env, const void *data, size_t len) {
  napi_value out;
  void *ignored;
  napi_create_buffer_copy(env, len, data, &ignored, &out);
  return out;
}

// socket(domain, type, protocol) -> fd
static napi_value js_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t domain, type, protocol;
  if (!arg_int(env, argv, argc, 0, &domain) || !arg_int(env, argv, argc, 1, &type) || !arg_int(env, argv, argc, 2, &protocol)) return NULL;
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return int_value(env, fd);
}

// setsockopt(fd, level, name, value: Buffer)
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, level, name;
  void *value;
  size_t len;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_int(env, argv, argc, 1, &level) || !arg_int(env, argv, argc, 2, &name) ||
      !arg_bytes(env, argv, argc, 3, 0, &value, &len)) return NULL;
  if (setsockopt(fd, level, name, value, (socklen_t)len) < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

// getsockopt(fd, level, name, maxBytes) -> Buffer of the length the kernel returned
static napi_value js_getsockopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, level, name, max;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_int(env, argv, argc, 1, &level) || !arg_int(env, argv, argc, 2, &name) ||
      !arg_int(env, argv, argc, 3, &max)) return NULL;
  if (max < 0 || max > 65536) return throw_type(env, "getsockopt: maxBytes out of range");
  unsigned char *value = calloc(1, max > 0 ? (size_t)max : 1);
  if (!value) return throw_errno(env, "getsockopt", ENOMEM);
  socklen_t len = (socklen_t)max;
  if (getsockopt(fd, level, name, value, &len) < 0) {
    int err = errno;
    free(value);
    return throw_errno(env, "getsockopt", err);
  }
  napi_value out = copy_buffer(env, value, len);
  free(value);
  return out;
}

// bind(fd, sockaddr: Buffer)
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *addr;
  size_t len;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_bytes(env, argv, argc, 1, 0, &addr, &len)) return NULL;
  if (bind(fd, (const struct sockaddr *)addr, (socklen_t)len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

// getsockname(fd) -> Buffer (the kernel-assigned netlink port id, for one)
static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (!arg_int(env, argv, argc, 0, &fd)) return NULL;
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) return throw_errno(env, "getsockname", errno);
  return copy_buffer(env, &addr, len);
}

// sendmsg(fd, data, sockaddr|null, control|null) -> bytes sent. `control` is a complete ancillary
// buffer (cmsghdr layout), built in TypeScript.
static napi_value js_sendmsg(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  void *data, *addr, *control;
  size_t data_len, addr_len, control_len;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_bytes(env, argv, argc, 1, 0, &data, &data_len) ||
      !arg_bytes(env, argv, argc, 2, 1, &addr, &addr_len) || !arg_bytes(env, argv, argc, 3, 1, &control, &control_len)) return NULL;
  struct iovec iov = { .iov_base = data, .iov_len = data_len };
  struct msghdr msg = {
    .msg_name = addr, .msg_namelen = (socklen_t)addr_len,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control, .msg_controllen = control_len,
  };
  ssize_t n = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) return throw_errno(env, "sendmsg", errno);
  return int_value(env, n);
}

// recvmsg(fd, maxBytes) -> { data, addr, control, flags } or null when nothing is waiting (EAGAIN).
// `control` is the raw ancillary buffer; TypeScript walks its cmsghdrs.
static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, max;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_int(env, argv, argc, 1, &max)) return NULL;
  if (max <= 0 || max > (1 << 20)) return throw_type(env, "recvmsg: maxBytes out of range");
  unsigned char *data = malloc((size_t)max);
  if (!data) return throw_errno(env, "recvmsg", ENOMEM);
  struct sockaddr_storage addr;
  // Aligned for cmsghdr, which the kernel writes into it.
  union { struct cmsghdr align; unsigned char bytes[CONTROL_BYTES]; } control;
  struct iovec iov = { .iov_base = data, .iov_len = (size_t)max };
  struct msghdr msg = {
    .msg_name = &addr, .msg_namelen = sizeof addr,
    .msg_iov = &iov, .msg_iovlen = 1,
    .msg_control = control.bytes, .msg_controllen = sizeof control.bytes,
  };
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    int err = errno;
    free(data);
    if (err == EAGAIN || err == EWOULDBLOCK) {
      napi_value null_value;
      napi_get_null(env, &null_value);
      return null_value;
    }
    return throw_errno(env, "recvmsg", err);
  }
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "data", copy_buffer(env, data, (size_t)n));
  free(data);
  napi_set_named_property(env, out, "addr", copy_buffer(env, &addr, msg.msg_namelen));
  napi_set_named_property(env, out, "control", copy_buffer(env, control.bytes, msg.msg_controllen));
  napi_set_named_property(env, out, "flags", int_value(env, msg.msg_flags));
  return out;
}

// close(fd)
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (!arg_int(env, argv, argc, 0, &fd)) return NULL;
  if (close(fd) < 0) return throw_errno(env, "close", errno);
  return NULL;
}

// raiseFileLimit(wanted) -> the soft RLIMIT_NOFILE now in force. Raises the soft limit to `wanted`
// (the hard one too, where the process may: root), never lowers either; when the hard limit cannot
// move, the soft one goes as high as it allows. Node has no setrlimit, and a checker with thousands
// of checks in flight needs a descriptor for each.
static napi_value js_raise_file_limit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t wanted;
  if (!arg_int(env, argv, argc, 0, &wanted)) return NULL;
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) < 0) return throw_errno(env, "getrlimit", errno);
  if (limit.rlim_cur >= (rlim_t)wanted) return int_value(env, (int64_t)limit.rlim_cur);
  struct rlimit raised = { (rlim_t)wanted, limit.rlim_max > (rlim_t)wanted ? limit.rlim_max : (rlim_t)wanted };
  if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
    raised.rlim_cur = limit.rlim_max;
    raised.rlim_max = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) < 0) return throw_errno(env, "setrlimit", errno);
  }
  return int_value(env, (int64_t)raised.rlim_cur);
}

// setns(fd, nstype): moves the calling thread, Node's main thread, into the namespace fd names.
// Sockets opened after it on that thread, and processes spawned from it, are in the new namespace.
static napi_value js_setns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd, nstype;
  if (!arg_int(env, argv, argc, 0, &fd) || !arg_int(env, argv, argc, 1, &nstype)) return NULL;
  if (setns(fd, nstype) < 0) return throw_errno(env, "setns", errno);
  return NULL;
}

// releaseFreedMemory(): gives the pages of the C heap that are free back to the system (glibc's
// malloc_trim). Start-up and each configuration load free megabytes (file buffers, the compilers'
// scratch memory) that malloc would otherwise keep for a reuse that never comes. Does nothing with
// another C library.
static napi_value js_release_freed_memory(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
#ifdef __GLIBC__
  malloc_trim(0);
#endif
  return NULL;
}

// ifNameToIndex(name) -> index
static napi_value js_if_name_to_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IF_NAMESIZE + 1];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) return throw_type(env, "expected an interface name");
  if (len >= IF_NAMESIZE) return throw_errno(env, "if_nametoindex", ENODEV);
  unsigned index = if_nametoindex(name);
  if (index == 0) return throw_errno(env, "if_nametoindex", errno);
  return int_value(env, index);
}

// ifIndexToName(index) -> name
static napi_value js_if_index_to_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t index;
  if (!arg_int(env, argv, argc, 0, &index)) return NULL;
  char name[IF_NAMESIZE];
  if (!if_indextoname((unsigned)index, name)) return throw_errno(env, "if_indextoname", errno);
  napi_value out;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

// Readiness and signals: a libuv poll handle on an fd (the socket is readable) or a libuv signal
// handle (the process received a signal), calling back into JS on the main thread. Two owners share
// the struct: libuv (until its close callback) and the JS handle (until its finalizer); whichever lets
// go last frees it.
typedef struct {
  union { uv_poll_t poll; uv_signal_t signal; uv_handle_t any; } handle;
  int is_signal;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int stopped, closed, finalized;
  int in_callback, released;
} Poller;

static void poller_closed(uv_handle_t *handle) {
  Poller *p = handle->data;
  p->closed = 1;
  if (p->finalized) free(p);
}

static void poller_release_js(Poller *p) {
  if (p->released) return;
  p->released = 1;
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->context);
}

// Stops callbacks at once and drops the JS references, unless the callback that asked for the stop
// is still running on them (then poller_ready drops them on its way out); the memory waits for uv_close.
static void poller_stop(Poller *p) {
  if (p->stopped) return;
  p->stopped = 1;
  if (p->is_signal) uv_signal_stop(&p->handle.signal);
  else uv_poll_stop(&p->handle.poll);
  uv_close(&p->handle.any, poller_closed);
  if (!p->in_callback) poller_release_js(p);
}

// Calls callback(error|null). Through napi_make_callback, so promise jobs and nextTicks run after
// it as after any I/O callback; an exception becomes an uncaught exception of the process.
static void poller_call(Poller *p, int status) {
  if (p->stopped) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback = NULL, global, arg, result;
  napi_get_reference_value(env, p->callback, &callback);
  napi_get_global(env, &global);
  if (status < 0) {
    napi_value code, msg;
    napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, uv_strerror(status), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &arg);
  } else {
    napi_get_null(env, &arg);
  }
  p->in_callback = 1;
  napi_status status_call = callback ? napi_make_callback(env, p->context, global, callback, 1, &arg, &result) : napi_ok;
  p->in_callback = 0;
  if (p->stopped) poller_release_js(p);
  if (status_call != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void poller_ready(uv_poll_t *handle, int status, int events) {
  (void)events;
  poller_call(handle->data, status);
}

static void signal_received(uv_signal_t *handle, int signum) {
  (void)signum;
  poller_call(handle->data, 0);
}

// The JS handle was collected (or the environment is going away): stop if unpoll never ran.
static void poller_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Poller *p = data;
  p->finalized = 1;
  poller_stop(p);
  if (p->closed) free(p);
}

// The arguments of poll and signal, (number, callback): reads them, allocates the shared struct and
// finds the loop. NULL (with a pending exception) when an argument is wrong or memory is short.
typedef struct { int32_t number; napi_value callback; uv_loop_t *loop; } WatchArgs;

static Poller *poller_new(napi_env env, napi_callback_info info, const char *syscall, WatchArgs *args) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!arg_int(env, argv, argc, 0, &args->number)) return NULL;
  napi_valuetype t = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &t);
  if (t != napi_function) { throw_type(env, "expected a callback"); return NULL; }
  args->callback = argv[1];
  if (napi_get_uv_event_loop(env, &args->loop) != napi_ok) { throw_errno(env, syscall, EINVAL); return NULL; }
  Poller *p = calloc(1, sizeof *p);
  if (!p) { throw_errno(env, syscall, ENOMEM); return NULL; }
  p->env = env;
  return p;
}

// Once libuv's handle is started: the JS side of the struct, and the external that owns it.
static napi_value poller_handle(napi_env env, Poller *p, napi_value callback, const char *resource_name) {
  napi_create_reference(env, callback, 1, &p->callback);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, resource_name, NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &p->context);
  napi_value handle;
  napi_create_external(env, p, poller_finalize, NULL, &handle);
  return handle;
}

// A handle whose start failed: libuv closes it and frees the struct, as no JS handle will own it.
static napi_value poller_failed(napi_env env, Poller *p, const char *syscall, int r) {
  p->stopped = 1;
  p->released = 1;
  p->finalized = 1;
  uv_close(&p->handle.any, poller_closed);
  return throw_errno(env, syscall, -r);
}

static napi_value js_poll(napi_env env, napi_callback_info info) {
  WatchArgs args;
  Poller *p = poller_new(env, info, "poll", &args);
  if (!p) return NULL;
  int r = uv_poll_init_socket(args.loop, &p->handle.poll, args.number);
  if (r < 0) { free(p); return throw_errno(env, "uv_poll_init", -r); }
  p->handle.any.data = p;
  r = uv_poll_start(&p->handle.poll, UV_READABLE, poller_ready);
  if (r < 0) return poller_failed(env, p, "uv_poll_start", r);
  return poller_handle(env, p, args.callback, "keepalive:socket");
}

// signal(signum, callback): callback(null) on the main thread each time the process receives signum,
// any signal number (Node's process.on knows only the named ones, not the real-time signals). libuv
// installs its handler for the whole process, so no thread takes the signal's default action (for a
// real-time signal, death). The handle does not keep the process alive. Stop it with unpoll().
static napi_value js_signal(napi_env env, napi_callback_info info) {
  WatchArgs args;
  Poller *p = poller_new(env, info, "signal", &args);
  if (!p) return NULL;
  if (args.number < 1 || args.number > SIGRTMAX) { free(p); return throw_errno(env, "signal", EINVAL); }
  p->is_signal = 1;
  int r = uv_signal_init(args.loop, &p->handle.signal);
  if (r < 0) { free(p); return throw_errno(env, "uv_signal_init", -r); }
  p->handle.any.data = p;
  r = uv_signal_start(&p->handle.signal, signal_received, args.number);
  if (r < 0) return poller_failed(env, p, "uv_signal_start", r);
  uv_unref(&p->handle.any);
  return poller_handle(env, p, args.callback, "keepalive:signal");
}

// realtimeSignals(): { min: SIGRTMIN, max: SIGRTMAX } as this C library numbers them (glibc keeps
// the first real-time signals for itself, so SIGRTMIN is not a constant).
static napi_value js_realtime_signals(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, min, max;
  napi_create_object(env, &result);
  napi_create_int32(env, SIGRTMIN, &min);
  napi_create_int32(env, SIGRTMAX, &max);
  napi_set_named_property(env, result, "min", min);
  napi_set_named_property(env, result, "max", max);
  return result;
}

static Poller *arg_poller(napi_env env, napi_value *argv, size_t argc) {
  napi_valuetype t = napi_undefined;
  if (argc > 0) napi_typeof(env, argv[0], &t);
  if (t != napi_external) { throw_type(env, "expected a poll handle"); return NULL; }
  void *p;
  napi_get_value_external(env, argv[0], &p);
  return p;
}

// unpoll(handle): stops the callbacks. Safe to call twice. Call it before close(fd).
static napi_value js_unpoll(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Poller *p = arg_poller(env, argv, argc);
  if (!p) return NULL;
  poller_stop(p);
  return NULL;
}

// pollRef(handle, ref): whether this poll keeps the process alive (uv_ref/uv_unref).
static napi_value js_poll_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Poller *p = arg_poller(env, argv, argc);
  if (!p) return NULL;
  bool ref = true;
  if (argc > 1) napi_get_value_bool(env, argv[1], &ref);
  if (!p->stopped) {
    if (ref) uv_ref(&p->handle.any);
    else uv_unref(&p->handle.any);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
    { "socket", NULL, js_socket, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setsockopt", NULL, js_setsockopt, NULL, NULL, NULL, napi_enumerable, NULL },
    { "getsockopt", NULL, js_getsockopt, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bind", NULL, js_bind, NULL, NULL, NULL, napi_enumerable, NULL },
    { "getsockname", NULL, js_getsockname, NULL, NULL, NULL, napi_enumerable, NULL },
    { "sendmsg", NULL, js_sendmsg, NULL, NULL, NULL, napi_enumerable, NULL },
    { "recvmsg", NULL, js_recvmsg, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "raiseFileLimit", NULL, js_raise_file_limit, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setns", NULL, js_setns, NULL, NULL, NULL, napi_enumerable, NULL },
    { "releaseFreedMemory", NULL, js_release_freed_memory, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ifNameToIndex", NULL, js_if_name_to_index, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ifIndexToName", NULL, js_if_index_to_name, NULL, NULL, NULL, napi_enumerable, NULL },
    { "poll", NULL, js_poll, NULL, NULL, NULL, napi_enumerable, NULL },
    { "unpoll", NULL, js_unpoll, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pollRef", NULL, js_poll_ref, NULL, NULL, NULL, napi_enumerable, NULL },
    { "signal", NULL, js_signal, NULL, NULL, NULL, napi_enumerable, NULL },
    { "realtimeSignals", NULL, js_realtime_signals, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GMODULE_NAME, init)
