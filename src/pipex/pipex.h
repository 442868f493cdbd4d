/* pipex.h — OpenBSD's pipex(4) request interface, as ../shared/spec/pipex.4.txt
 * gives it, for a PPP daemon driving ninet's PPP fast path. The structures
 * have the page's fields, types and order, so a daemon written for pipex
 * ports over; only the way a request reaches the stack differs: not an
 * ioctl(2) on a tun(4)/pppx device but ninet_pipex_ioctl() on an interface
 * of a stack (C++: pipex::Pipex::ioctl), or the same operations written as
 * ctl messages into the stack's `pipex` directory (docs/pipex.md).
 *
 *   struct pipex_session_req req = {0};
 *   req.pr_protocol = PIPEX_PROTO_L2TP;
 *   ...
 *   int err = pipex.ioctl(ifc, PIPEXASESSION, &req);   // 0, or an errno: EEXIST...
 *
 * The request codes are Linux _IOW/_IOR/_IOWR encodings of OpenBSD's
 * ('p', 1) ... ('p', 8), so each also names its structure's size. Sizes
 * (NOTES.md): PIPEX_MAX_LISTREQ 128, IFDESCRSIZE 64, PIPEX_MPPE_KEYLEN 16,
 * struct pipex_statistics 40 bytes. */
#ifndef NINET_PIPEX_H
#define NINET_PIPEX_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIPEX_MAX_LISTREQ 128
#define PIPEX_MPPE_KEYLEN 16
#ifndef IF_NAMESIZE
#define IF_NAMESIZE 16
#endif
#ifndef IFDESCRSIZE
#define IFDESCRSIZE 64
#endif

struct pipex_mppe_req {
  int16_t stateless;                           /* mppe key mode. 1 for stateless */
  int16_t keylenbits;                          /* mppe key length (in bits) */
  unsigned char master_key[PIPEX_MPPE_KEYLEN]; /* mppe master key (u_char) */
};

struct pipex_session_req {
  int pr_protocol; /* tunnel protocol */
#define PIPEX_PROTO_L2TP 1
#define PIPEX_PROTO_PPTP 2
#define PIPEX_PROTO_PPPOE 3
  uint16_t pr_session_id;      /* session-id */
  uint16_t pr_peer_session_id; /* peer's session-id */
  uint32_t pr_ppp_flags;       /* ppp configuration flags */
#define PIPEX_PPP_ACFC_ACCEPTED 0x0001
#define PIPEX_PPP_PFC_ACCEPTED 0x0002
#define PIPEX_PPP_ACFC_ENABLED 0x0004
#define PIPEX_PPP_PFC_ENABLED 0x0008
#define PIPEX_PPP_MPPE_ACCEPTED 0x0010
#define PIPEX_PPP_MPPE_ENABLED 0x0020
#define PIPEX_PPP_MPPE_REQUIRED 0x0040
#define PIPEX_PPP_HAS_ACF 0x0080
#define PIPEX_PPP_ADJUST_TCPMSS 0x0100
#define PIPEX_PPP_INGRESS_FILTER 0x0200
  int8_t pr_ccp_id;                   /* ccp current packet id */
  int pr_ppp_id;                      /* ppp id */
  uint16_t pr_peer_mru;               /* peer's mru */
  uint16_t pr_timeout_sec;            /* idle timer */
  struct in_addr pr_ip_srcaddr;       /* local IP address */
  struct in_addr pr_ip_address;       /* framed IP address */
  struct in_addr pr_ip_netmask;       /* framed IP netmask */
  struct sockaddr_in6 pr_ip6_address; /* framed IPv6 address */
  int pr_ip6_prefixlen;               /* framed IPv6 prefix length */
  union {
    struct {
      uint32_t snd_nxt;   /* send next */
      uint32_t rcv_nxt;   /* receive next */
      uint32_t snd_una;   /* unacked */
      uint32_t rcv_acked; /* recv acked */
      int winsz;          /* window size */
      int maxwinsz;       /* max window size */
      int peer_maxwinsz;  /* peer's max window size */
    } pptp;
    struct {
      uint32_t option_flags;
#define PIPEX_L2TP_USE_SEQUENCING 0x00000001
      uint16_t tunnel_id;      /* our tunnel-id */
      uint16_t peer_tunnel_id; /* peer's tunnel-id */
      uint32_t ns_nxt;         /* send next */
      uint32_t nr_nxt;         /* receive next */
      uint32_t ns_una;         /* unacked */
      uint32_t nr_acked;       /* recv acked */
      uint32_t ipsecflowinfo;  /* IPsec flow id for NAT-T */
    } l2tp;
    struct {
      char over_ifname[IF_NAMESIZE]; /* ethernet ifname */
    } pppoe;
  } pr_proto;
  struct sockaddr_storage pr_peer_address;  /* peer address of tunnel */
  struct sockaddr_storage pr_local_address; /* our address of tunnel */
  struct pipex_mppe_req pr_mppe_recv;       /* mppe key for receive */
  struct pipex_mppe_req pr_mppe_send;       /* mppe key for send */
};

struct pipex_statistics {
  uint32_t ipackets;  /* packets received from tunnel */
  uint32_t ierrors;   /* error packets received from tunnel */
  uint64_t ibytes;    /* number of received bytes from tunnel */
  uint32_t opackets;  /* packets sent to tunnel */
  uint32_t oerrors;   /* error packets on sending to tunnel */
  uint64_t obytes;    /* number of sent bytes to tunnel */
  uint32_t idle_time; /* idle time in seconds */
};

struct pipex_session_stat_req {
  int psr_protocol;                 /* tunnel protocol */
  uint16_t psr_session_id;          /* session-id */
  struct pipex_statistics psr_stat; /* statistics */
};
/* PIPEXDSESSION takes the same structure under this name. */
#define pipex_session_close_req pipex_session_stat_req
#define pcr_protocol psr_protocol
#define pcr_session_id psr_session_id
#define pcr_stat psr_stat

struct pipex_session_config_req {
  int pcr_protocol;        /* tunnel protocol */
  uint16_t pcr_session_id; /* session-id */
  int pcr_ip_forward;      /* ip_forwarding on/off */
};

struct pipex_session_list_req {
  uint8_t plr_flags;
#define PIPEX_LISTREQ_NONE 0x00
#define PIPEX_LISTREQ_MORE 0x01
  int plr_ppp_id_count;              /* count of PPP id */
  int plr_ppp_id[PIPEX_MAX_LISTREQ]; /* PPP id */
};

struct pipex_session_descr_req {
  int pdr_protocol;            /* tunnel protocol */
  uint16_t pdr_session_id;     /* session-id */
  char pdr_descr[IFDESCRSIZE]; /* description */
};

#define PIPEXSMODE _IOW('p', 1, int)
#define PIPEXGMODE _IOR('p', 2, int)
#define PIPEXASESSION _IOW('p', 3, struct pipex_session_req)
#define PIPEXDSESSION _IOWR('p', 4, struct pipex_session_close_req)
#define PIPEXCSESSION _IOW('p', 5, struct pipex_session_config_req)
#define PIPEXGSTAT _IOWR('p', 6, struct pipex_session_stat_req)
#define PIPEXGCLOSED _IOR('p', 7, struct pipex_session_list_req)
#define PIPEXSIFDESCR _IOW('p', 8, struct pipex_session_descr_req)

#ifdef __cplusplus
}
#endif

#endif /* NINET_PIPEX_H */
