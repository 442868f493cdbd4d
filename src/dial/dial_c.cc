// The C entry points of ninet_dial.h over the C++ API, through
// default_fs() (ninet_setnet, which needs the 9P client, is in src/dialfs).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dial/c_api.h"
#include "dial/dial.h"
#include "dial/ninet_dial.h"

namespace {

thread_local std::string last_error;

int fail(const ninet::Error& e) {
  last_error = e.text();
  errno = e.errnum();
  return -1;
}

void copy_dir(char* to, const std::string& dir) {
  if (!to) return;
  std::snprintf(to, NINET_NETPATHLEN, "%s", dir.c_str());
}

char* dup(const std::string& s) {
  return strdup(s.c_str());
}

}  // namespace

int ninet::dial::c_fail(const ninet::Error& e) {
  return fail(e);
}

extern "C" {

int ninet_dial(const char* addr, const char* local, char* dir, int* cfdp) {
  auto c = ninet::dial::dial(addr ? addr : "", local ? local : "");
  if (!c) return fail(c.error());
  copy_dir(dir, c->dir);
  if (cfdp)
    *cfdp = c->ctl;
  else
    c->fs->close(c->ctl);
  return c->data;
}

int ninet_announce(const char* addr, char* dir) {
  auto c = ninet::dial::announce(addr ? addr : "");
  if (!c) return fail(c.error());
  copy_dir(dir, c->dir);
  return c->ctl;
}

int ninet_listen(const char* dir, char* newdir) {
  auto c = ninet::dial::listen(dir ? dir : "");
  if (!c) return fail(c.error());
  copy_dir(newdir, c->dir);
  return c->ctl;
}

int ninet_accept(int ctl, const char* dir) {
  auto fd = ninet::dial::accept(ctl, dir ? dir : "");
  if (!fd) return fail(fd.error());
  return *fd;
}

int ninet_reject(int ctl, const char* dir, const char* cause) {
  auto st = ninet::dial::reject(ctl, dir ? dir : "", cause ? cause : "");
  return st ? 0 : fail(st.error());
}

int ninet_hangup(int ctl) {
  auto st = ninet::dial::hangup(ctl);
  return st ? 0 : fail(st.error());
}

const char* ninet_netmkaddr(const char* addr, const char* defnet, const char* defservice) {
  static thread_local std::string buf;
  buf = ninet::dial::netmkaddr(addr ? addr : "", defnet ? defnet : "net",
                               defservice ? defservice : "");
  return buf.c_str();
}

NinetConnInfo* ninet_getnetconninfo(const char* dir, int fd) {
  auto i = ninet::dial::getnetconninfo(dir ? dir : "", fd);
  if (!i) {
    fail(i.error());
    return nullptr;
  }
  auto* c = static_cast<NinetConnInfo*>(std::calloc(1, sizeof(NinetConnInfo)));
  if (!c) return nullptr;
  c->dir = dup(i->dir);
  c->root = dup(i->root);
  c->spec = dup(i->spec);
  c->lsys = dup(i->lsys);
  c->lserv = dup(i->lserv);
  c->rsys = dup(i->rsys);
  c->rserv = dup(i->rserv);
  c->laddr = dup(i->laddr);
  c->raddr = dup(i->raddr);
  return c;
}

void ninet_freenetconninfo(NinetConnInfo* c) {
  if (!c) return;
  for (char* p :
       {c->dir, c->root, c->spec, c->lsys, c->lserv, c->rsys, c->rserv, c->laddr, c->raddr})
    std::free(p);
  std::free(c);
}

const char* ninet_errstr(void) {
  return last_error.c_str();
}

long ninet_read(int fd, void* buf, unsigned long n) {
  auto r = ninet::dial::default_fs().read(fd, {static_cast<uint8_t*>(buf), size_t(n)});
  if (!r) return fail(r.error());
  return long(*r);
}

long ninet_write(int fd, const void* buf, unsigned long n) {
  ninet::dial::Conn c;
  c.fs = &ninet::dial::default_fs();
  c.data = fd;
  auto st = c.write({static_cast<const uint8_t*>(buf), size_t(n)});
  if (!st) return fail(st.error());
  return long(n);
}

void ninet_close(int fd) {
  ninet::dial::default_fs().close(fd);
}

}  // extern "C"
