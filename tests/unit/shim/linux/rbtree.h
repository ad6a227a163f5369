/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/rbtree.h>: the subset of the kernel's API
 * the core uses, over the harness's own red-black tree (shim/rbtree.c).
 * As in the kernel the caller does the ordered descent and links the new
 * node with rb_link_node(); rb_insert_color() then rebalances.
 *
 * Unlike the kernel, parent and colour are separate fields: the layout is
 * private, only the functions and rb_left/rb_right are the API.
 */
#ifndef SHIM_LINUX_RBTREE_H
#define SHIM_LINUX_RBTREE_H
#include <stdbool.h>
#include <stddef.h>
#include <linux/container_of.h>

struct rb_node {
	struct rb_node *rb_parent_ptr;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
	bool rb_red;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT			((struct rb_root) { NULL })
#define rb_entry(ptr, type, member)	container_of(ptr, type, member)
#define rb_parent(node)		((node)->rb_parent_ptr)
#define RB_EMPTY_ROOT(root)	(!(root)->rb_node)

/* Hang @node, red and childless, at @link under @parent. */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent_ptr = parent;
	node->rb_left = NULL;
	node->rb_right = NULL;
	node->rb_red = true;
	*link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Harness only, for invariant checks: NULL leaves are black. */
static inline bool shim_rb_is_red(const struct rb_node *node)
{
	return node && node->rb_red;
}
#endif
