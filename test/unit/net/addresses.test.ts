import { describe, expect, it } from "vitest";
import { addressRange, ipv6Bytes } from "../../../lib/net/addresses.js";
import { checkAddress, pinnedLookup, resolveAllowed } from "../../../lib/net/guard.js";
import { HostNotAllowedError } from "../../../lib/net/errors.js";

describe("addressRange", () => {
  it.each([
    ["169.254.169.254", "cloud metadata", "always"],
    ["169.254.1.2", "link-local", "always"],
    ["100.100.100.200", "cloud metadata", "always"],
    ["224.0.0.1", "multicast", "always"],
    ["255.255.255.255", "reserved", "always"],
    ["127.0.0.1", "loopback", "private"],
    ["127.8.9.10", "loopback", "private"],
    ["0.0.0.0", "unspecified", "private"],
    ["10.1.2.3", "private", "private"],
    ["172.16.0.1", "private", "private"],
    ["172.31.255.255", "private", "private"],
    ["192.168.1.1", "private", "private"],
    ["100.64.0.1", "shared (carrier-grade NAT)", "private"],
    ["172.32.0.1", "public", "public"],
    ["8.8.8.8", "public", "public"],
    ["1.1.1.1", "public", "public"],
  ])("IPv4 %s is %s (%s)", (address, range, standing) => {
    expect(addressRange(address)).toEqual({ range, standing });
  });

  it.each([
    ["fd00:ec2::254", "cloud metadata", "always"],
    ["FD00:EC2:0:0:0:0:0:254", "cloud metadata", "always"],
    ["fd00:ec2::253", "private (unique local)", "private"],
    ["fe80::1", "link-local", "always"],
    ["fe80::1%eth0", "link-local", "always"],
    ["ff02::1", "multicast", "always"],
    ["::1", "loopback", "private"],
    ["::", "unspecified", "private"],
    ["fc00::1", "private (unique local)", "private"],
    ["2606:4700:4700::1111", "public", "public"],
  ])("IPv6 %s is %s (%s)", (address, range, standing) => {
    expect(addressRange(address)).toEqual({ range, standing });
  });

  it.each([
    ["::ffff:169.254.169.254", "cloud metadata", "always"],
    ["::ffff:a9fe:a9fe", "cloud metadata", "always"],
    ["0:0:0:0:0:ffff:127.0.0.1", "loopback", "private"],
    ["::ffff:10.0.0.1", "private", "private"],
    ["::ffff:8.8.8.8", "public", "public"],
    ["::169.254.169.254", "cloud metadata", "always"],
    ["64:ff9b::a9fe:a9fe", "cloud metadata", "always"],
    ["2002:a9fe:a9fe::1", "cloud metadata", "always"],
    ["2002:0808:0808::1", "public", "public"],
  ])("an IPv6 form carrying IPv4 (%s) is judged by the IPv4 address: %s", (address, range, standing) => {
    expect(addressRange(address)).toEqual({ range, standing });
  });

  it("is undefined for what is not an IP address", () => {
    expect([addressRange("db.example.com"), addressRange("1.2.3"), addressRange("::g")]).toEqual([undefined, undefined, undefined]);
  });

  it("parses IPv6 into its 16 bytes", () => {
    expect(ipv6Bytes("2001:db8::1:0:0:1")).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Bytes("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  });
});

describe("checkAddress and resolveAllowed", () => {
  const local = { allowPrivate: true };
  const aws = { allowPrivate: false };

  it("always refuses metadata and link-local; private only where the policy says", () => {
    expect(() => checkAddress("h", "169.254.169.254", local)).toThrow(HostNotAllowedError);
    expect(() => checkAddress("h", "fd00:ec2::254", local)).toThrow(/cloud metadata/);
    expect(() => checkAddress("h", "::ffff:169.254.169.254", local)).toThrow(HostNotAllowedError);
    expect(() => checkAddress("h", "10.0.0.1", local)).not.toThrow();
    expect(() => checkAddress("h", "127.0.0.1", aws)).toThrow(/ALLOW_PRIVATE_NETWORKS=true/);
    expect(() => checkAddress("h", "8.8.8.8", aws)).not.toThrow();
  });

  it("checks IP literals without a lookup, brackets and all", async () => {
    await expect(resolveAllowed("[::1]", local)).resolves.toEqual({ host: "::1", address: "::1", family: 6 });
    await expect(resolveAllowed("[::ffff:127.0.0.1]", aws)).rejects.toBeInstanceOf(HostNotAllowedError);
    await expect(resolveAllowed("169.254.169.254", local)).rejects.toMatchObject({ name: "HostNotAllowedError", range: "cloud metadata" });
  });

  it("resolves localhost through the system resolver and refuses it where private is not allowed", async () => {
    await expect(resolveAllowed("localhost", local)).resolves.toMatchObject({ host: "localhost" });
    await expect(resolveAllowed("localhost", aws)).rejects.toMatchObject({ range: "loopback" });
  });

  it("fails a name that does not resolve with ENOTFOUND", async () => {
    await expect(resolveAllowed("no-such-host.invalid", local)).rejects.toMatchObject({ code: "ENOTFOUND" });
  });

  it("pins: the lookup answers the checked address whatever it is asked", () => {
    const lookup = pinnedLookup({ host: "db.example.com", address: "10.0.0.7", family: 4 });
    const seen: unknown[] = [];
    lookup("anything.example.com", {}, (_e, address, family) => seen.push([address, family]));
    lookup("db.example.com", { all: true }, (_e, address) => seen.push(address));
    expect(seen).toEqual([["10.0.0.7", 4], [{ address: "10.0.0.7", family: 4 }]]);
  });
});
