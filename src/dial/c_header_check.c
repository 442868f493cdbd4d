/* Compiled as C99 with -Wall -Wextra -Werror (src/dial/CMakeLists.txt): the
 * header is plain C. */
#include "dial/ninet_dial.h"

int ninet_dial_c_header_check(void) {
  char dir[NINET_NETPATHLEN];
  NinetConnInfo* i = ninet_getnetconninfo(dir, -1);
  ninet_freenetconninfo(i);
  int (*dial)(const char*, const char*, char*, int*) = ninet_dial;
  long (*rd)(int, void*, unsigned long) = ninet_read;
  int (*setnet)(const char*) = ninet_setnet;
  return dial != 0 && rd != 0 && setnet != 0;
}
