/* cli_complete.c — `migtorture --bash-completion`: a bash completion script written from the
 * command table (suite/cli.c), like the man page, so it offers exactly the commands and options
 * the binary parses. The build generates it next to the binary and installs it.
 *
 * What an operand completes to is read from its synopsis: FILE a scenario (*.ini), *.json
 * results files, "a|b|c" those words, [TOPIC] the scenario keys and plugin names. An option's argument: FILE and PATH any file, DIR a
 * directory, FMT a report format; anything else (N, GLOB, PCT) is free text.
 */
#include <stdio.h>
#include <string.h>

#include "cli_cmds.h"
#include "migtorture/report.h"
#include "migtorture/scenario.h"

/* Prints one bash statement that fills COMPREPLY for placeholder ph, an option's argument or
 * (operand set) a command's operand synopsis; for free text it leaves COMPREPLY empty. */
static void complete_for(const char *ph, int operand, FILE *f)
{
	const char *sp = strchr(ph, ' ');
	size_t first = sp ? (size_t)(sp - ph) : strlen(ph);

	if (!operand && !strcmp(ph, "DIR")) {
		fputs("_migtorture_files -d", f);
	} else if (!operand && (!strcmp(ph, "PATH") || !strcmp(ph, "FILE"))) {
		fputs("_migtorture_files -f", f);
	} else if (!operand && !strcmp(ph, "FMT")) {
		fputs("mapfile -t COMPREPLY < <(compgen -W '", f);
		for (const char *s = mt_report_formats(); *s; s++)
			if (*s != ',')
				fputc(*s, f);
		fputs("' -- \"$cur\")", f);
	} else if (operand && !strcmp(ph, "[TOPIC]")) {
		fputs("[ \"$COMP_CWORD\" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -W '", f);
		mt_scenario_reference_topics(f);
		fputs("' -- \"$cur\")", f);
	} else if (operand && memchr(ph, '|', first)) {
		fputs("[ \"$COMP_CWORD\" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -W '", f);
		for (size_t i = 0; i < first; i++)
			fputc(ph[i] == '|' ? ' ' : ph[i], f);
		fputs("' -- \"$cur\")", f);
	} else if (operand && strstr(ph, ".json")) {
		fputs("_migtorture_files -f '*.json'", f);
	} else if (operand && !strncmp(ph, "FILE", 4)) {
		fputs("_migtorture_files -f '*.ini'", f);
	} else {
		fputs("COMPREPLY=()", f);
	}
}

/* The case arm of one command: option arguments by the previous word, then options, then
 * operands. */
static void command_arm(const struct mt_cli_cmd *c, FILE *f)
{
	int with_arg = 0;

	fprintf(f, "\t%s)\n", c->name);
	for (const struct mt_cli_opt *o = c->opts; o->name; o++) {
		if (!o->arg)
			continue;
		if (!with_arg++)
			fputs("\t\tcase $prev in\n", f);
		fputs("\t\t", f);
		if (o->short_name)
			fprintf(f, "-%c|", o->short_name);
		fprintf(f, "--%s) ", o->name);
		complete_for(o->arg, 0, f);
		fputs("; return 0 ;;\n", f);
	}
	if (with_arg)
		fputs("\t\tesac\n", f);
	fputs("\t\tif [[ $cur == -* ]]; then\n"
	      "\t\t\tmapfile -t COMPREPLY < <(compgen -W '", f);
	for (const struct mt_cli_opt *o = c->opts; o->name; o++)
		fprintf(f, "--%s ", o->name);
	fputs("--help' -- \"$cur\")\n\t\telse\n\t\t\t", f);
	complete_for(c->args, 1, f);
	fputs("\n\t\tfi ;;\n", f);
}

void mt_cli_bash_completion(FILE *f)
{
	fputs("# bash completion for migtorture(1), written by `migtorture --bash-completion` from\n"
	      "# its command table: regenerate rather than edit.\n\n"
	      "# _migtorture_files -f [GLOB] | -d: files matching GLOB (and directories), or\n"
	      "# directories only.\n"
	      "_migtorture_files()\n{\n"
	      "\tcompopt -o filenames 2>/dev/null\n"
	      "\tif [ \"$1\" = -d ]; then\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
	      "\telif [ -n \"${2:-}\" ]; then\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -f -X \"!$2\" -- \"$cur\"; "
	      "compgen -d -- \"$cur\")\n"
	      "\telse\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	      "\tfi\n}\n\n"
	      "_migtorture()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tCOMPREPLY=()\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tmapfile -t COMPREPLY < <(compgen -W '",
	      f);
	for (const struct mt_cli_cmd *c = mt_cli_cmds; c->name; c++)
		fprintf(f, "%s ", c->name);
	fputs("--help --version' -- \"$cur\")\n\t\treturn 0\n\tfi\n"
	      "\tcase ${COMP_WORDS[1]} in\n",
	      f);
	for (const struct mt_cli_cmd *c = mt_cli_cmds; c->name; c++)
		command_arm(c, f);
	fputs("\tesac\n\treturn 0\n}\ncomplete -F _migtorture migtorture\n", f);
}
