// libxml2's streaming writer (xmlTextWriter) for junit.xml (Sources/Reports/XMLStreamWriter.swift).
//
// Debian's libxml2 is built with ICU, and its encoding.h then includes the system's ICU headers,
// which clash with the ICU copy inside Swift's Foundation. Only the writer API is used here (never
// xmlCharEncodingHandler, the one structure whose layout depends on it), so ICU is left out.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlwriter.h>
