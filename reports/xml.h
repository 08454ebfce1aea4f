/* xml.h — the one XML/HTML escaper of the reports (HTML page, its SVG, JUnit). */
#ifndef MT_REPORTS_XML_H
#define MT_REPORTS_XML_H

#include <stdio.h>

/* Writes s (NULL: nothing) escaped for XML text and attribute values alike: & < > " ' as
 * entities, tab, newline and carriage return as character references (attribute values keep
 * them), and what XML 1.0 cannot carry — other control characters, bytes that are not UTF-8,
 * U+FFFE, U+FFFF — as U+FFFD, so the document stays well-formed whatever a result holds. */
void mt_xml_escape(const char *s, FILE *f);

#endif
