// libvirt's C API for the libvirt adapter (Sources/Hypervisors/Libvirt*.swift).
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
