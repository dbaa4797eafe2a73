/* An intrusive doubly linked list for the daemon's tables (client requests, stream connections,
 * upstream queries): each node knows the pointer that points at it, so it leaves its list in
 * constant time without being told which list that is.
 */
#ifndef RW_DAEMON_LIST_H
#define RW_DAEMON_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct rw_dlink {
	struct rw_dlink *next, **pprev; /* pprev NULL: in no list */
};

/* The struct of type that holds link as its member. */
#define rw_dlink_entry(link, type, member) ((type *)((char *)(link)-offsetof(type, member)))

/* Put n at the front of the list that *head starts. */
static inline void rw_dlink_push(struct rw_dlink **head, struct rw_dlink *n)
{
	n->next = *head;
	if (*head)
		(*head)->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

/* Take n out of its list. Returns true, or false (and does nothing) when n is in no list. */
static inline bool rw_dlink_remove(struct rw_dlink *n)
{
	if (!n->pprev)
		return false;
	*n->pprev = n->next;
	if (n->next)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	return true;
}

#endif
