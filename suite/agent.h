/* agent.h — `migtorture agent`, the far side of an ssh host (docs/remote-hosts.md). */
#ifndef MT_AGENT_H
#define MT_AGENT_H

#include "migtorture/error.h"

/* Serves the protocol on in_fd/out_fd until `bye` or end of input (then the dead-man switch
 * undoes what is still applied), doing only what the policy file allows
 * (suite/agent_policy.h). journal_path NULL: mt_agent_default_journal(); policy_path NULL:
 * mt_agent_policy_default_path(). Returns 0 after bye or a clean dead-man run, or an error
 * (journal unusable, protocol broken). */
int mt_agent_run(int in_fd, int out_fd, const char *journal_path, const char *policy_path,
		 struct mt_error *err);

/* $MT_AGENT_JOURNAL, else /run/migtorture/agent.journal. */
const char *mt_agent_default_journal(void);

#endif
