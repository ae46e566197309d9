// The system's zlib (raw deflate/inflate and CRC-32 for ZipArchive). Linked as libz; no package
// dependency, the library ships with the OS (Debian: zlib1g-dev for the header).
#if __has_include(<zlib.h>)
#include <zlib.h>
#else
#error "zlib's header is missing: install it with `sudo apt install zlib1g-dev` (Debian/Ubuntu), then build again"
#endif
