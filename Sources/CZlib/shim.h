// The system's zlib (raw deflate/inflate and CRC-32 for ZipArchive). Linked as libz; no package
// dependency, the library ships with the OS (Debian: zlib1g-dev for the header).
#include <zlib.h>
