/* test_labref.c — `lab:NAME` resolution from a lab descriptor (fixtures/lab*.json). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labref.h"
#include "labresolve.h"
#include "test_util.h"

static void use(const char *fixture)
{
	setenv("MT_LAB_JSON", tu_fixture(fixture), 1);
}

START_TEST(path_override)
{
	unsetenv("MT_LAB_JSON");
	ck_assert_str_eq(mt_labref_path(), "/run/migtorture/lab/lab.json");
	setenv("MT_LAB_JSON", "/x/y.json", 1);
	ck_assert_str_eq(mt_labref_path(), "/x/y.json");
	ck_assert_int_eq(mt_labref_is_ref("lab:hosta"), 1);
	ck_assert_int_eq(mt_labref_is_ref("qemu:///system"), 0);
	ck_assert_int_eq(mt_labref_is_ref(NULL), 0);
}
END_TEST

START_TEST(host_fields)
{
	struct mt_labref_host h;
	struct mt_error err = { 0 };

	use("lab.json");
	ck_assert_int_eq(mt_labref_host("lab:hostb", &h, &err), 0);
	ck_assert_str_eq(h.name, "hostb");
	ck_assert_str_eq(h.libvirt_uri,
			 "qemu+unix:///system?socket=/run/migtorture/lab/hostb/run/libvirt-sock");
	ck_assert_str_eq(h.migration_ip, "198.19.0.2");
	ck_assert_str_eq(h.netns, "mt-hostb");
	mt_labref_host_free(&h);
	/* a host without libvirt (the client) resolves, with NULL URI */
	ck_assert_int_eq(mt_labref_host("client", &h, &err), 0);
	ck_assert_ptr_null(h.libvirt_uri);
	ck_assert_ptr_null(h.migration_ip);
	mt_labref_host_free(&h);
}
END_TEST

START_TEST(resolve_uri)
{
	struct mt_error err = { 0 };
	char *uri = NULL;

	use("lab.json");
	ck_assert_int_eq(mt_labref_resolve_uri("lab:hosta", &uri, &err), 0);
	ck_assert_str_eq(uri,
			 "qemu+unix:///system?socket=/run/migtorture/lab/hosta/run/libvirt-sock");
	free(uri);
	ck_assert_int_eq(mt_labref_resolve_uri("qemu+ssh://root@hv1/system", &uri, &err), 0);
	ck_assert_str_eq(uri, "qemu+ssh://root@hv1/system");
	free(uri);
	ck_assert_int_eq(mt_labref_resolve_uri("lab:client", &uri, &err), MT_ENOTFOUND);
	ck_assert_ptr_null(uri);
}
END_TEST

START_TEST(errors_say_why)
{
	struct mt_labref_host h;
	struct mt_error err = { 0 };

	use("lab.json");
	ck_assert_int_eq(mt_labref_host("lab:hostc", &h, &err), MT_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "hostc"));
	ck_assert_int_eq(mt_labref_host("lab:", &h, &err), MT_EINVAL);
	use("no-such-lab.json");
	ck_assert_int_eq(mt_labref_host("lab:hosta", &h, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "lab up"));
	use("lab-partial.json");
	ck_assert_int_eq(mt_labref_host("lab:hosta", &h, &err), MT_EINFRA);
	ck_assert_ptr_nonnull(strstr(err.msg, "partial"));
	use("test_labref_not_json.txt");
	ck_assert_int_eq(mt_labref_host("lab:hosta", &h, &err), MT_EINFRA);
}
END_TEST

START_TEST(guest_fields)
{
	struct mt_labref_guest g;
	struct mt_error err = { 0 };

	use("lab.json");
	ck_assert_int_eq(mt_labref_guest(NULL, NULL, &g, &err), 0);
	ck_assert_str_eq(g.name, "web");
	ck_assert_str_eq(g.ip, "198.18.0.10");
	ck_assert_str_eq(g.http_url, "http://198.18.0.10/");
	ck_assert_str_eq(g.host, "hosta");
	mt_labref_guest_free(&g);
	/* a descriptor without a guest list has one guest: lab:guest2 is not there */
	ck_assert_int_eq(mt_labref_guest("lab:guest1", NULL, &g, &err), 0);
	ck_assert_str_eq(g.name, "web");
	mt_labref_guest_free(&g);
	ck_assert_int_eq(mt_labref_guest("lab:guest2", NULL, &g, &err), MT_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "has 1 guest ") != NULL, "%s", err.msg);
	ck_assert_ptr_null(g.name);
}
END_TEST

/* mt-lab up --guests 3: lab:guestN picks the Nth; a cell's domain picks its own guest. */
START_TEST(guest_list)
{
	struct mt_labref_guest g;
	struct mt_error err = { 0 };
	int i = -1;

	ck_assert_int_eq(mt_labref_guest_ref("lab:guest", &i), 1);
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guest10", &i), 1);
	ck_assert_int_eq(i, 9);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guest11", NULL), 0);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guest0", NULL), 0);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guest02", NULL), 0);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guest2x", NULL), 0);
	ck_assert_int_eq(mt_labref_guest_ref("lab:guests", NULL), 0);
	ck_assert_int_eq(mt_labref_guest_ref("198.18.0.10", NULL), 0);
	use("lab-guests.json");
	ck_assert_int_eq(mt_labref_guest("lab:guest2", NULL, &g, &err), 0);
	ck_assert_str_eq(g.name, "web2");
	ck_assert_str_eq(g.ip, "198.18.0.11");
	ck_assert_str_eq(g.host, "hostb");
	mt_labref_guest_free(&g);
	ck_assert_int_eq(mt_labref_guest(NULL, "web3", &g, &err), 0);
	ck_assert_str_eq(g.ip, "198.18.0.12");
	mt_labref_guest_free(&g);
	/* a domain that is no lab guest: the first, as before guests were listed */
	ck_assert_int_eq(mt_labref_guest(NULL, "db", &g, &err), 0);
	ck_assert_str_eq(g.name, "web");
	mt_labref_guest_free(&g);
	ck_assert_int_eq(mt_labref_guest("lab:guest4", NULL, &g, &err), MT_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "has 3 guests") != NULL, "%s", err.msg);
	ck_assert_int_eq(mt_labref_guest("lab:hosta", NULL, &g, &err), MT_EINVAL);
}
END_TEST

/* The router is an ssh host: address, user and the lab's own key and known_hosts (paths),
 * and the running binary as the far side's agent (the router sees this machine's /). */
START_TEST(router_is_ssh)
{
	struct mt_labres r = { 0 };
	struct mt_error err = { 0 };
	const struct mt_host *h;

	use("lab.json");
	h = mt_labres_host(&r, "lab:router", &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	ck_assert_int_eq(h->kind, MT_HOST_SSH);
	ck_assert_str_eq(h->name, "router");
	ck_assert_str_eq(h->ssh_address, "198.18.3.2");
	ck_assert_str_eq(h->ssh_user, "root");
	ck_assert_str_eq(h->ssh_identity, "/run/migtorture/lab/router/id_ed25519");
	ck_assert_str_eq(h->ssh_known_hosts, "/run/migtorture/lab/router/known_hosts");
	ck_assert_ptr_null(h->netns);
	ck_assert_ptr_nonnull(h->remote_binary);
	ck_assert_int_eq(h->remote_binary[0], '/');
	/* the same name again is the same host; bare `router` too */
	ck_assert_ptr_eq(mt_labres_host(&r, "router", &err), h);
	/* hosta stays a namespace here */
	h = mt_labres_host(&r, "hosta", &err);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->kind, MT_HOST_LOCAL);
	ck_assert_str_eq(h->netns, "mt-hosta");
	mt_labres_free(&r);
}
END_TEST

/* `guest` on a cell outside the lab (a nova cell: Nova host names, no lab: refs): a literal
 * address is the probes' target and its web root the workloads', bracketed for IPv6; no lab is
 * read (the fixture path does not exist). */
START_TEST(guest_literal_outside_lab)
{
	struct mt_cell cell = { .source = "hosta", .dest = "hostb", .guest = "198.18.0.50" };
	struct mt_labres r = { 0 };
	struct mt_error err = { 0 };

	use("no-such-lab.json");
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.uses_lab, 0);
	ck_assert_str_eq(r.guest_addr, "198.18.0.50");
	ck_assert_str_eq(r.guest_url, "http://198.18.0.50/");
	ck_assert_str_eq(r.src_uri, "hosta");
	mt_labres_free(&r);
	cell.guest = "2001:db8::5";
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(r.guest_addr, "2001:db8::5");
	ck_assert_str_eq(r.guest_url, "http://[2001:db8::5]/");
	mt_labres_free(&r);
	/* no guest key: no target, as before the key existed */
	cell.guest = NULL;
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_ptr_null(r.guest_addr);
	ck_assert_ptr_null(r.guest_url);
	mt_labres_free(&r);
}
END_TEST

/* lab:guest reads lab.json for any cell; a literal on a lab cell wins over the lab's guest;
 * lab:guest without a lab says so (the runner skips such a cell). */
START_TEST(guest_lab_and_override)
{
	struct mt_cell cell = { .source = "hosta", .dest = "hostb", .guest = "lab:guest" };
	struct mt_labres r = { 0 };
	struct mt_error err = { 0 };

	use("lab.json");
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.uses_lab, 0);
	ck_assert_str_eq(r.guest_addr, "198.18.0.10");
	ck_assert_str_eq(r.guest_url, "http://198.18.0.10/");
	mt_labres_free(&r);
	cell = (struct mt_cell){ .source = "lab:hosta", .dest = "lab:hostb", .guest = "10.0.0.7" };
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(r.uses_lab, 1);
	ck_assert_str_eq(r.guest_addr, "10.0.0.7");
	ck_assert_str_eq(r.guest_url, "http://10.0.0.7/");
	ck_assert_str_eq(r.client.netns, "mt-client");
	mt_labres_free(&r);
	cell.guest = NULL; /* a lab cell without the key: the lab's guest, as before */
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(r.guest_addr, "198.18.0.10");
	mt_labres_free(&r);
	cell = (struct mt_cell){ .source = "hosta", .dest = "hostb", .guest = "lab:guest" };
	use("no-such-lab.json");
	ck_assert_int_eq(mt_labres_cell(&cell, &r, &err), MT_EINFRA);
	ck_assert_int_eq(r.uses_lab, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "lab up"));
	mt_labres_free(&r);
}
END_TEST

/* Several lab guests: a lab cell probes the guest that is its domain; guest = lab:guestN
 * names one outright. */
START_TEST(guest_of_the_domain)
{
	struct mt_cell cell = { .source = "lab:hosta", .dest = "lab:hostb", .domain = "web2" };
	struct mt_labres r = { 0 };
	struct mt_error err = { 0 };

	use("lab-guests.json");
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(r.guest_addr, "198.18.0.11");
	ck_assert_str_eq(r.guest_url, "http://198.18.0.11/");
	mt_labres_free(&r);
	cell.guest = "lab:guest3";
	ck_assert_msg(mt_labres_cell(&cell, &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(r.guest_addr, "198.18.0.12");
	mt_labres_free(&r);
	cell.guest = "lab:guest9";
	ck_assert_int_eq(mt_labres_cell(&cell, &r, &err), MT_ENOTFOUND);
	mt_labres_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("labref");
	TCase *t = tcase_create("core");

	tcase_add_test(t, path_override);
	tcase_add_test(t, host_fields);
	tcase_add_test(t, resolve_uri);
	tcase_add_test(t, errors_say_why);
	tcase_add_test(t, guest_fields);
	tcase_add_test(t, guest_list);
	tcase_add_test(t, guest_of_the_domain);
	tcase_add_test(t, router_is_ssh);
	tcase_add_test(t, guest_literal_outside_lab);
	tcase_add_test(t, guest_lab_and_override);
	suite_add_tcase(s, t);
	return tu_run(s);
}
