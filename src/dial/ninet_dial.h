/* ninet_dial.h — Plan 9's dial(2) for C programs, over ninet's tree (see
 * dial/dial.h for the C++ API and what addresses may be). The names carry
 * a ninet_ prefix because POSIX already has listen and accept.
 *
 *   char dir[NINET_NETPATHLEN];
 *   int fd = ninet_dial("tcp!10.0.0.2!80", NULL, dir, NULL);
 *   if (fd < 0) perror("dial");        // errno set; ninet_errstr() says why
 *   ninet_write(fd, "hello", 5);
 *
 * Where the tree is: by default the one mounted at /net (or at the path in
 * $NINET_NET); its descriptors are file descriptors, and read(2) and
 * write(2) work on them as ninet_read and ninet_write do. ninet_setnet
 * (defined in the ninet_dialfs library: link it) connects to a tree served
 * over 9P instead ("9p!unix!/run/ninet0", "9p!tcp!10.0.0.1!564"; or
 * $NINET_NET so set); descriptors are then the 9P client's handles, and
 * only ninet_read, ninet_write and ninet_close work on them.
 *
 * Functions that return descriptors return -1 on error with errno set, and
 * keep the tree's error text for ninet_errstr(). */
#ifndef NINET_DIAL_H
#define NINET_DIAL_H

#ifdef __cplusplus
extern "C" {
#endif

#define NINET_NETPATHLEN 256

typedef struct NinetConnInfo {
  char* dir;
  char* root;
  char* spec;
  char* lsys;
  char* lserv;
  char* rsys;
  char* rserv;
  char* laddr;
  char* raddr;
} NinetConnInfo;

/* The data descriptor of a new call; *cfdp (if not NULL) gets its ctl,
 * else the ctl is closed. dir (if not NULL, NINET_NETPATHLEN bytes) gets
 * the conversation's directory. local: a local port, or NULL. */
int ninet_dial(const char* addr, const char* local, char* dir, int* cfdp);
/* The ctl of an announced conversation; dir gets its directory. */
int ninet_announce(const char* addr, char* dir);
/* Waits for a call on dir; returns the new call's ctl, newdir its directory. */
int ninet_listen(const char* dir, char* newdir);
/* The data descriptor of the call whose ctl and directory are given. */
int ninet_accept(int ctl, const char* dir);
/* Refuses the call (IP: hangs it up). 0 or -1. */
int ninet_reject(int ctl, const char* dir, const char* cause);
/* Writes "hangup" to ctl. 0 or -1. */
int ninet_hangup(int ctl);
/* net!host!service from what is given (a static buffer, as Plan 9's). */
const char* ninet_netmkaddr(const char* addr, const char* defnet, const char* defservice);
/* The addresses of the conversation in dir (or, dir NULL, of fd's file);
 * NULL on error. Free with ninet_freenetconninfo. */
NinetConnInfo* ninet_getnetconninfo(const char* dir, int fd);
void ninet_freenetconninfo(NinetConnInfo* info);
/* The text of this thread's last error from these functions. */
const char* ninet_errstr(void);

/* I/O on descriptors these functions return, through the tree in use:
 * -1 with errno set on error. ninet_read returns 0 at the end of a stream;
 * ninet_write writes all n bytes or fails. */
long ninet_read(int fd, void* buf, unsigned long n);
long ninet_write(int fd, const void* buf, unsigned long n);
void ninet_close(int fd);

/* Chooses the tree the calls use: a path to a mounted tree ("/net"), or a
 * 9P service "9p!unix!PATH", "9p!PATH" or "9p!tcp!HOST!PORT" (whose tree
 * then shows as /net); NULL: $NINET_NET, else /net. 0, or -1 with errno
 * set. Call it before any other, once. Defined in ninet_dialfs. */
int ninet_setnet(const char* net);

#ifdef __cplusplus
}
#endif

#endif
