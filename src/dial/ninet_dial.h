/* ninet_dial.h — Plan 9's dial(2) for C programs, over ninet's mounted
 * tree (see dial/dial.h for the C++ API and what addresses may be). The
 * names carry a ninet_ prefix because POSIX already has listen and accept.
 *
 *   char dir[NINET_NETPATHLEN];
 *   int fd = ninet_dial("tcp!10.0.0.2!80", NULL, dir, NULL);
 *   if (fd < 0) perror("dial");        // errno set; ninet_errstr() says why
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

#ifdef __cplusplus
}
#endif

#endif
