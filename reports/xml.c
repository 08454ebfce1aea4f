/* xml.c — the reports' one XML escaper (xml.h). */
#include <string.h>

#include "utf8.h"
#include "xml.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void mt_xml_escape(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p), n;

	while (*p) {
		const char *ent = NULL;

		switch (*p) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '\n': ent = "&#10;"; break;
		case '\t': ent = "&#9;"; break;
		case '\r': ent = "&#13;"; break;
		default: break;
		}
		n = mt_utf8_len(p, left);
		if (ent)
			fputs(ent, f);
		else if (n == 0 || *p < 0x20 || *p == 0x7f ||
			 (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe))
			fputs(REPLACEMENT, f);
		else
			fwrite(p, 1, n, f);
		if (n == 0)
			n = 1;
		p += n;
		left -= n;
	}
}
