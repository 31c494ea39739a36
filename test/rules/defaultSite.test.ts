import { describe, expect, it } from "vitest";
import { defaultSiteAnonymous } from "../../core/rules/defaultSiteAnonymous";
import { defaultSiteLoopback } from "../../core/rules/defaultSiteLoopback";
import { healthy, run, site } from "../support/state";

const http = (ip: string, port = 80) => ({ protocol: "http", ip, port, host: "" });

describe("default-site-loopback (cause 5)", () => {
  it("passes on All Unassigned and on specific addresses that include 127.0.0.1", () => {
    const h = healthy();
    expect(run(defaultSiteLoopback, h)).toEqual([]);
    site(h.state, "Default Web Site").bindings = [http("192.0.2.10"), http("127.0.0.1")];
    expect(run(defaultSiteLoopback, h)).toEqual([]);
  });

  it("fails when bound only to specific addresses", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [http("192.0.2.10"), http("2001:db8::1")];
    const f = run(defaultSiteLoopback, h);
    expect(f).toEqual([expect.objectContaining({ cause: 5, status: "fail", target: "Default Web Site" })]);
    expect(f[0].message).toContain("192.0.2.10:80:, [2001:db8::1]:80:");
    expect(f[0].remediation).toContain("bindingInformation='127.0.0.1:80:'");
  });

  it("judges each port on its own: a * on 8080 does not make port 80 reachable on 127.0.0.1", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [http("*", 8080), http("192.0.2.10", 80)];
    const f = run(defaultSiteLoopback, h);
    expect(f).toEqual([expect.objectContaining({ message: expect.stringContaining("on port 80 only to specific addresses (192.0.2.10:80:)") })]);
    expect(f[0].repair).toEqual([{ kind: "add-binding", site: "Default Web Site", protocol: "http", ip: "127.0.0.1", port: 80 }]);
  });

  it("ignores https and other protocols when judging reachability", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [http("192.0.2.10"), { protocol: "https", ip: "*", port: 443, host: "" }];
    expect(run(defaultSiteLoopback, h)).toHaveLength(1);
  });

  it("enforces the allUnassigned binding policy", () => {
    const h = healthy({ bindings: { mode: "allUnassigned" } });
    site(h.state, "Default Web Site").bindings = [http("127.0.0.1")];
    expect(run(defaultSiteLoopback, h)).toEqual([expect.objectContaining({ message: expect.stringContaining("All Unassigned") })]);
  });

  it("judges a declared address list: without 127.0.0.1 it is a finding (policy pack path)", () => {
    const h = healthy({ bindings: { mode: "addresses", addresses: ["192.0.2.10"] } });
    const messages = run(defaultSiteLoopback, h).map((f) => f.message);
    expect(messages).toEqual([expect.stringContaining("without 127.0.0.1"), expect.stringContaining("without 127.0.0.1")]);
    const ok = healthy({ bindings: { mode: "addresses", addresses: ["192.0.2.10", "127.0.0.1"] } });
    expect(run(defaultSiteLoopback, ok)).toEqual([]);
  });

  it("reports each declared address missing from the server", () => {
    const h = healthy({ bindings: { mode: "addresses", addresses: ["192.0.2.10", "127.0.0.1"] } });
    site(h.state, "Default Web Site").bindings = [http("127.0.0.1")];
    expect(run(defaultSiteLoopback, h)).toEqual([expect.objectContaining({ message: expect.stringContaining("192.0.2.10:80") })]);
  });
});

// HTTP.sys routing (learn.microsoft.com/windows/win32/http/urlprefix-strings; docs/research/iis-anonymous.md §5):
// a blank host takes every host name, a host name only requests that carry it, an IP only requests arriving
// on it; nothing matching → 400 "Bad Request - Invalid Hostname".
describe("default-site-loopback: bindings as clients reach them (host headers, IPv6)", () => {
  const withHost = (ip: string, host: string, port = 80) => ({ protocol: "http", ip, port, host });
  it("a site bound only to *:80:wsus.contoso.com fails twice: 127.0.0.1 and the server's name both get 400", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [withHost("*", "wsus.contoso.com")];
    const f = run(defaultSiteLoopback, h);
    expect(f.map((x) => x.message)).toEqual([
      expect.stringMatching(/only for host names \(\*:80:wsus\.contoso\.com\).*400 Invalid Hostname/),
      expect.stringMatching(/none is the server's \(WSUS01\).*http:\/\/WSUS01:80\/ get 400 Invalid Hostname/),
    ]);
    // 127.0.0.1 gets its own binding without host name; the name clients use only a person knows
    expect(f[0].repair).toEqual([{ kind: "add-binding", site: "Default Web Site", protocol: "http", ip: "127.0.0.1", port: 80 }]);
    expect(f[1].repair).toEqual([expect.objectContaining({ kind: "manual" })]);
  });
  it("a host-header binding plus one without host name passes; a binding for the server's own name (or its FQDN) answers clients", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [withHost("*", "wsus.contoso.com"), withHost("*", "")];
    expect(run(defaultSiteLoopback, h)).toEqual([]);
    site(h.state, "Default Web Site").bindings = [withHost("*", "wsus01.contoso.com"), withHost("127.0.0.1", "")];
    expect(run(defaultSiteLoopback, h)).toEqual([]);
  });
  it("a binding to 127.0.0.1 with a host name does not take http://127.0.0.1/", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [withHost("127.0.0.1", "wsus01"), withHost("192.0.2.10", "")];
    expect(run(defaultSiteLoopback, h).map((x) => x.message)).toEqual([expect.stringMatching(/only for host names \(127\.0\.0\.1:80:wsus01, 192\.0\.2\.10:80:\).*400 Invalid Hostname/)]);
  });
  it("IPv6: [::1] is not 127.0.0.1; [::]-style All Unassigned is written * by IIS", () => {
    const h = healthy();
    site(h.state, "Default Web Site").bindings = [http("::1"), http("2001:db8::1")];
    const f = run(defaultSiteLoopback, h);
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain("[::1]:80:, [2001:db8::1]:80:");
    site(h.state, "Default Web Site").bindings = [http("::1"), http("127.0.0.1")];
    expect(run(defaultSiteLoopback, h)).toEqual([]);
  });
  it("modern Configuration 2 judges the WSUS site on the client port (8530), not the Default Web Site", () => {
    const h = healthy({ profile: "modern", configuration: 2 });
    expect(run(defaultSiteLoopback, h)).toEqual([]);
    const wsus = h.state.sites.find((s) => s.id !== 1)!;
    wsus.bindings = [http("192.0.2.10", 8530)];
    expect(run(defaultSiteLoopback, h)).toEqual([expect.objectContaining({ target: wsus.name, message: expect.stringContaining("port 8530") })]);
  });
});

describe("default-site-anonymous (cause 6)", () => {
  it("passes when the site root is anonymous, fails when not", () => {
    const h = healthy();
    expect(run(defaultSiteAnonymous, h)).toEqual([]);
    site(h.state, "Default Web Site").rootAuth.anonymous = false;
    expect(run(defaultSiteAnonymous, h)).toEqual([expect.objectContaining({ cause: 6, status: "fail", target: "Default Web Site" })]);
  });

  it("finds the default site by id 1 when its name is localised", () => {
    const h = healthy();
    const s = site(h.state, "Default Web Site");
    s.name = "Standardwebsite";
    s.rootAuth.anonymous = false;
    expect(run(defaultSiteAnonymous, h)[0].message).toContain("Standardwebsite");
  });
});
