// libssh's C API for the remote adapter (Sources/Hypervisors/SSH*.swift, SFTPClient.swift).
#include <libssh/libssh.h>
#include <libssh/sftp.h>
