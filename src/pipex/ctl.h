// ctl.h — pipex's requests as ctl messages, and its state as text: what the
// tree's `pipex` directory reads and writes (docs/pipex.md, "The tree").
// Every message becomes one request of pipex.h made through Pipex::ioctl,
// so a message is checked as the ioctl checks it and fails with its errno,
// carried by an Err whose text says what the errno means there ("session
// exists" for EEXIST).
//
//   std::lock_guard<std::mutex> g(ip.mu);            // everything here: under ip.mu
//   Status st = pipex::ctl(px, ip, "mode 1 on");
//   st = pipex::ctl(px, ip, "add ifc=1 proto=l2tp id=7 peer=192.0.2.1!1701 ...");
//   if (!st) st.error().text()                       // "session exists"
//   pipex::closed_text(px, ip)                       // "507\n512\nmore\n"
//
// Messages (words split as Plan 9's tokenize splits them, fields.h):
//   mode IFC on|off                 PIPEXSMODE on interface IFC (its number);
//                                   on: IFC must be bound
//   add ifc=IFC WORD...             PIPEXASESSION on IFC; the WORDs are
//                                   text.h's key=value words (any order)
//   delete PROTO ID                 PIPEXDSESSION
//   config PROTO ID forward on|off  PIPEXCSESSION
//   descr PROTO ID [TEXT...]        PIPEXSIFDESCR: the rest of the message,
//                                   blanks at its ends dropped, at most 63
//                                   bytes, printable; none clears it
// PROTO is l2tp, pptp or pppoe. delete, config and descr are made on the
// interface the session was added on (Session::ctl_ifc), so they name only
// the session. A session's own ctl file takes the same three without the
// session: `delete`, `forward on|off`, `descr TEXT` (session_ctl).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "pipex/sessions.h"

namespace ninet {
class Ip;
}

namespace ninet::pipex {

// A message of the list above for px, whose interfaces are ip's.
Status ctl(Pipex& px, Ip& ip, std::string_view msg);
// A message of session (protocol, id)'s ctl file.
Status session_ctl(Pipex& px, Ip& ip, int protocol, uint16_t id, std::string_view msg);

// The error a request's errno stands for: ENXIO PipexOff, EEXIST
// SessionExists, EADDRINUSE AddrInUse, EPROTONOSUPPORT NoProtoSupport,
// EINVAL NoSession for a request naming a session (`about_session`), else
// BadArg; ENOTTY BadCtl; ENOMEM (no interface for a pppx session) NoMem;
// EOPNOTSUPP (no RC4 for MPPE) NotSupported; anything else BadArg naming
// the errno.
Error ioctl_error(int errnum, bool about_session);

// `mode IFC on` for every interface in pipex mode, a line each, in
// interface order (the ctl file's read: what would set them again).
std::string modes_text(const Pipex& px, Ip& ip);

// PIPEXGCLOSED: takes up to 128 PPP ids of sessions in close-wait, one a
// line, and a last line `more` when PIPEX_LISTREQ_MORE is set or another
// interface has closed sessions too (the request is per interface: one
// read takes those of the lowest-numbered interface that has any).
std::string closed_text(Pipex& px, Ip& ip);

// A session's configuration, its state and description:
//   ifc=1 proto=l2tp id=7 peer-id=9 ...   the words `add` takes (text.h)
//   state=opened idle=12 forward=on        opened, close-wait or closed (listed)
//   descr=TEXT
// The first line, after `add `, registers the same session again, but for
// the MPPE keys, which it leaves out (the file is anyone's to read).
std::string status_text(Pipex& px, const Session& s, Ip& ip);
// `Name: value` lines: ipackets ierrors ibytes opackets oerrors obytes
// (64-bit, the session's counters) and idle_time (seconds, as PIPEXGSTAT
// gives it: since the last active packet, or in close-wait since it began).
std::string stats_text(Pipex& px, const Session& s, Ip& ip);
// The session's directory name in the tree: "l2tp.7".
std::string session_name(int protocol, uint16_t id);

}  // namespace ninet::pipex
