// tspod's OS seam: the few syscalls Node lacks, as a tiny N-API addon.
// Errors are thrown like Node's fs errors: message "<syscall> <path>: <strerror>",
// .code = errno name, .errno = -errno, .syscall, .path.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <linux/close_range.h>
#include <unistd.h>

#define MAX_ARGS 5
#define CALL(expr) do { if ((expr) != napi_ok) return NULL; } while (0)

static napi_value throw_errno(napi_env env, const char *syscall, const char *path, int err) {
  const char *name = strerrorname_np(err);
  // flock(2) documents EWOULDBLOCK; it is the same number as EAGAIN on Linux.
  if (err == EWOULDBLOCK && strcmp(syscall, "flock") == 0) name = "EWOULDBLOCK";
  char message[4200];
  snprintf(message, sizeof message, "%s %s: %s", syscall, path, strerror(err));
  napi_value code, msg, error, errno_value, syscall_value, path_value;
  CALL(napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code));
  CALL(napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg));
  CALL(napi_create_error(env, code, msg, &error));
  CALL(napi_create_int32(env, -err, &errno_value));
  CALL(napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value));
  CALL(napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_value));
  CALL(napi_set_named_property(env, error, "errno", errno_value));
  CALL(napi_set_named_property(env, error, "syscall", syscall_value));
  CALL(napi_set_named_property(env, error, "path", path_value));
  napi_throw(env, error);
  return NULL;
}

// Fetches the call's arguments; missing ones read as undefined.
static int get_args(napi_env env, napi_callback_info info, napi_value *argv) {
  size_t argc = MAX_ARGS;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok;
}

// A malloc'd UTF-8 copy of a JS string, or NULL (with a pending exception, or for
// null/undefined/"" when optional is set: those mean "no value" to mount(2)).
static char *get_string(napi_env env, napi_value value, int optional, int *failed) {
  napi_valuetype type;
  size_t len = 0;
  *failed = 0;
  if (napi_typeof(env, value, &type) == napi_ok && optional && (type == napi_undefined || type == napi_null)) return NULL;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
    *failed = 1;
    napi_throw_type_error(env, NULL, "expected a string argument");
    return NULL;
  }
  if (optional && len == 0) return NULL;
  char *buf = malloc(len + 1);
  if (buf == NULL || napi_get_value_string_utf8(env, value, buf, len + 1, &len) != napi_ok) {
    *failed = 1;
    free(buf);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  return buf;
}

static int64_t get_int(napi_env env, napi_value value) {
  int64_t n = 0;
  napi_get_value_int64(env, value, &n);  // non-numbers read as 0
  return n;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

#define STRING_ARG(var, i, optional)                                 \
  int var##_failed;                                                  \
  char *var = get_string(env, argv[i], optional, &var##_failed);     \
  if (var##_failed) goto out;

static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  if (mknod(path, (mode_t)get_int(env, argv[1]), (dev_t)get_int(env, argv[2])) != 0) throw_errno(env, "mknod", path, errno);
  else result = undefined(env);
out:
  free(path);
  return result;
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  void *data = NULL;
  size_t size = 0;
  char *name = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  int name_failed;
  name = get_string(env, argv[1], 0, &name_failed);
  if (name_failed) goto out;
  if (napi_get_buffer_info(env, argv[2], &data, &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "lsetxattr: value must be a Buffer");
    goto out;
  }
  if (lsetxattr(path, name, data, size, 0) != 0) throw_errno(env, "lsetxattr", path, errno);
  else result = undefined(env);
out:
  free(path);
  free(name);
  return result;
}

static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  char *name = NULL, *buf = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  int name_failed;
  name = get_string(env, argv[1], 0, &name_failed);
  if (name_failed) goto out;
  for (;;) {  // the value may grow between the size query and the read: retry on ERANGE
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size >= 0) {
      free(buf);
      if ((buf = malloc(size + 1)) == NULL) { throw_errno(env, "lgetxattr", path, ENOMEM); break; }
      size = lgetxattr(path, name, buf, size);
      if (size >= 0) { napi_create_buffer_copy(env, size, buf, NULL, &result); break; }
    }
    if (errno == ERANGE) continue;
    if (errno == ENODATA) result = undefined(env);
    else throw_errno(env, "lgetxattr", path, errno);
    break;
  }
out:
  free(path);
  free(name);
  free(buf);
  return result;
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  char *buf = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  for (;;) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size >= 0) {
      free(buf);
      if ((buf = malloc(size + 1)) == NULL) { throw_errno(env, "llistxattr", path, ENOMEM); break; }
      size = llistxattr(path, buf, size);
      if (size >= 0) {
        napi_create_array(env, &result);
        uint32_t index = 0;
        for (char *name = buf; name < buf + size; name += strlen(name) + 1) {
          napi_value item;
          napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &item);
          napi_set_element(env, result, index++, item);
        }
        break;
      }
    }
    if (errno == ERANGE) continue;
    throw_errno(env, "llistxattr", path, errno);
    break;
  }
out:
  free(path);
  free(buf);
  return result;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  char *target = NULL, *fstype = NULL, *data = NULL;
  int failed;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(source, 0, 1);
  if ((target = get_string(env, argv[1], 0, &failed), failed)) goto out;
  if ((fstype = get_string(env, argv[2], 1, &failed), failed)) goto out;
  if ((data = get_string(env, argv[4], 1, &failed), failed)) goto out;
  if (mount(source, target, fstype, (unsigned long)get_int(env, argv[3]), data) != 0) throw_errno(env, "mount", target, errno);
  else result = undefined(env);
out:
  free(source);
  free(target);
  free(fstype);
  free(data);
  return result;
}

static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(target, 0, 0);
  if (umount2(target, (int)get_int(env, argv[1])) != 0) throw_errno(env, "umount2", target, errno);
  else result = undefined(env);
out:
  free(target);
  return result;
}

static napi_value js_flock(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!get_args(env, info, argv)) return NULL;
  int fd = (int)get_int(env, argv[0]), rc;
  do rc = flock(fd, (int)get_int(env, argv[1])); while (rc != 0 && errno == EINTR);
  if (rc == 0) return undefined(env);
  char what[32];
  snprintf(what, sizeof what, "fd %d", fd);
  return throw_errno(env, "flock", what, errno);
}

// Paths longer than sun_path (108 bytes, e.g. conmon's attach socket deep in
// the storage tree) are reached through /proc/self/fd/<dirfd>/<name>.
static int connect_unix(int sock, const char *path, int *dirfd) {
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *slash = strrchr(path, '/');
  int len;
  if (strlen(path) >= sizeof addr.sun_path && slash != NULL) {
    char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    *dirfd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (*dirfd < 0) return -1;
    len = snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", *dirfd, slash + 1);
  } else {
    len = snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  }
  if (len < 0 || (size_t)len >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
  return connect(sock, (struct sockaddr *)&addr, sizeof addr);
}

static napi_value js_seqpacket_connect(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  int dirfd = -1;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) { throw_errno(env, "socket", path, errno); goto out; }
  if (connect_unix(sock, path, &dirfd) != 0) {
    int err = errno;
    close(sock);
    throw_errno(env, "connect", path, err);
    goto out;
  }
  napi_create_int32(env, sock, &result);
out:
  if (dirfd >= 0) close(dirfd);
  free(path);
  return result;
}

static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!get_args(env, info, argv)) return NULL;
  int fd = (int)get_int(env, argv[0]);
  if (shutdown(fd, (int)get_int(env, argv[1])) != 0) throw_errno(env, "shutdown", "socket", errno);
  return NULL;
}

// Marks every fd above 2 close-on-exec, so nothing this process inherited
// leaks into conmon, the OCI runtime or the container (CVE-2024-21626 class).
static napi_value js_cloexec_from(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  if (!get_args(env, info, argv)) return NULL;
  unsigned int first = (unsigned int)get_int(env, argv[0]);
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) != 0) throw_errno(env, "close_range", "fds", errno);
  return NULL;
}

// Creates a persistent network namespace bound at `path` (an existing file):
// the calling thread unshares its network namespace, the new one is bind
// mounted, and the thread returns to where it was. Namespaces are per thread,
// so Node's other threads never leave the host's namespace.
static napi_value js_netns_create(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result = NULL;
  if (!get_args(env, info, argv)) return NULL;
  STRING_ARG(path, 0, 0);
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) { throw_errno(env, "open", "/proc/thread-self/ns/net", errno); goto out; }
  if (unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    close(original);
    throw_errno(env, "unshare", path, err);
    goto out;
  }
  int rc = mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL), err = errno;
  if (setns(original, CLONE_NEWNET) != 0) {
    // Staying in the new namespace would silently cut this process off the host's network.
    fprintf(stderr, "tspod: cannot return to the host network namespace: %s\n", strerror(errno));
    abort();
  }
  close(original);
  if (rc != 0) throw_errno(env, "mount", path, err);
  else result = undefined(env);
out:
  free(path);
  return result;
}

static napi_value js_makedev(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], result;
  if (!get_args(env, info, argv)) return NULL;
  dev_t dev = makedev((unsigned)get_int(env, argv[0]), (unsigned)get_int(env, argv[1]));
  CALL(napi_create_int64(env, (int64_t)dev, &result));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
    { "mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL },
    { "umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL },
    { "flock", NULL, js_flock, NULL, NULL, NULL, napi_enumerable, NULL },
    { "seqpacketConnect", NULL, js_seqpacket_connect, NULL, NULL, NULL, napi_enumerable, NULL },
    { "makedev", NULL, js_makedev, NULL, NULL, NULL, napi_enumerable, NULL },
    { "shutdown", NULL, js_shutdown, NULL, NULL, NULL, napi_enumerable, NULL },
    { "cloexecFrom", NULL, js_cloexec_from, NULL, NULL, NULL, napi_enumerable, NULL },
    { "netnsCreate", NULL, js_netns_create, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}
