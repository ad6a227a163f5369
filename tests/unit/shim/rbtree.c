// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's red-black tree behind shim/linux/rbtree.h, written from
 * the textbook algorithm (Cormen et al., "Introduction to Algorithms",
 * ch. 13) with NULL for the leaves instead of a sentinel node.  The
 * invariants: the root is black, a red node has no red child, and every
 * path from a node down to a leaf crosses the same number of black nodes.
 */
#include <linux/rbtree.h>

static bool is_red(const struct rb_node *n)
{
	return n && n->rb_red;
}

/* Make @new take @old's place under @old's parent (or as the root). */
static void replace_child(struct rb_root *root, struct rb_node *old,
			  struct rb_node *new)
{
	struct rb_node *parent = old->rb_parent_ptr;

	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
	if (new)
		new->rb_parent_ptr = parent;
}

/* @x's right child becomes its parent; @x its left child. */
static void rotate_left(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->rb_right;

	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent_ptr = x;
	replace_child(root, x, y);
	y->rb_left = x;
	x->rb_parent_ptr = y;
}

static void rotate_right(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->rb_left;

	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent_ptr = x;
	replace_child(root, x, y);
	y->rb_right = x;
	x->rb_parent_ptr = y;
}

void rb_insert_color(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *p, *g, *u;

	/* Only a red-red pair can be wrong; push it up until it is gone. */
	while ((p = z->rb_parent_ptr) && p->rb_red) {
		g = p->rb_parent_ptr;	/* exists: a red node is not the root */
		if (p == g->rb_left) {
			u = g->rb_right;
			if (is_red(u)) {
				p->rb_red = false;
				u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				rotate_left(root, p);
				z = p;
				p = z->rb_parent_ptr;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_right(root, g);
		} else {
			u = g->rb_left;
			if (is_red(u)) {
				p->rb_red = false;
				u->rb_red = false;
				g->rb_red = true;
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				rotate_right(root, p);
				z = p;
				p = z->rb_parent_ptr;
			}
			p->rb_red = false;
			g->rb_red = true;
			rotate_left(root, g);
		}
	}
	root->rb_node->rb_red = false;
}

static struct rb_node *leftmost(struct rb_node *n)
{
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

static struct rb_node *rightmost(struct rb_node *n)
{
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

/*
 * @x (possibly NULL, a leaf) under @parent carries one black too few on its
 * paths: recolour and rotate until the deficit is absorbed.
 */
static void erase_fixup(struct rb_root *root, struct rb_node *x,
			struct rb_node *parent)
{
	struct rb_node *w;

	while (x != root->rb_node && !is_red(x)) {
		/*
		 * x's sibling w is not NULL: its side has at least one more
		 * black than x's.  When x is NULL, x is on whichever side of
		 * parent is NULL.
		 */
		if (x == parent->rb_left) {
			w = parent->rb_right;
			if (w->rb_red) {
				w->rb_red = false;
				parent->rb_red = true;
				rotate_left(root, parent);
				w = parent->rb_right;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = parent;
				parent = x->rb_parent_ptr;
				continue;
			}
			if (!is_red(w->rb_right)) {
				w->rb_left->rb_red = false;
				w->rb_red = true;
				rotate_right(root, w);
				w = parent->rb_right;
			}
			w->rb_red = parent->rb_red;
			parent->rb_red = false;
			w->rb_right->rb_red = false;
			rotate_left(root, parent);
		} else {
			w = parent->rb_left;
			if (w->rb_red) {
				w->rb_red = false;
				parent->rb_red = true;
				rotate_right(root, parent);
				w = parent->rb_left;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_red = true;
				x = parent;
				parent = x->rb_parent_ptr;
				continue;
			}
			if (!is_red(w->rb_left)) {
				w->rb_right->rb_red = false;
				w->rb_red = true;
				rotate_left(root, w);
				w = parent->rb_left;
			}
			w->rb_red = parent->rb_red;
			parent->rb_red = false;
			w->rb_left->rb_red = false;
			rotate_right(root, parent);
		}
		x = root->rb_node;
		break;
	}
	if (x)
		x->rb_red = false;
}

void rb_erase(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *y, *x, *parent;
	bool removed_red;

	if (!z->rb_left || !z->rb_right) {
		/* At most one child: it takes z's place. */
		x = z->rb_left ? z->rb_left : z->rb_right;
		parent = z->rb_parent_ptr;
		removed_red = z->rb_red;
		replace_child(root, z, x);
	} else {
		/*
		 * Two children: z's successor y (no left child) moves into
		 * z's place and colour; the hole is where y was.
		 */
		y = leftmost(z->rb_right);
		removed_red = y->rb_red;
		x = y->rb_right;
		if (y->rb_parent_ptr == z) {
			parent = y;
		} else {
			parent = y->rb_parent_ptr;
			replace_child(root, y, x);
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent_ptr = y;
		}
		replace_child(root, z, y);
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent_ptr = y;
		y->rb_red = z->rb_red;
	}
	if (!removed_red)
		erase_fixup(root, x, parent);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return root->rb_node ? leftmost(root->rb_node) : NULL;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return root->rb_node ? rightmost(root->rb_node) : NULL;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->rb_right)
		return leftmost(n->rb_right);
	/* Climb while we come from a right child. */
	while ((p = n->rb_parent_ptr) && n == p->rb_right)
		n = p;
	return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->rb_left)
		return rightmost(n->rb_left);
	while ((p = n->rb_parent_ptr) && n == p->rb_left)
		n = p;
	return (struct rb_node *)p;
}
