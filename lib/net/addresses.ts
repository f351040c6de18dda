// What range an IP address is in, and so what the network policy makes of it. IPv6 forms that
// carry an IPv4 address (v4-mapped ::ffff:a.b.c.d, v4-compatible, NAT64, 6to4) are judged by the
// IPv4 address inside, so ::ffff:169.254.169.254 is the metadata service like 169.254.169.254.
import { isIP, isIPv4 } from "node:net";

/**
 * `always`: never connected to (metadata, link-local, multicast, reserved); `private`: only where
 * the policy allows private networks (loopback, RFC 1918, ULA, …); `public`: anywhere.
 */
export type AddressStanding = "public" | "private" | "always";

export interface AddressRange {
  /** What the range is, as a message names it: "metadata", "link-local", "loopback", "private", … */
  range: string;
  standing: AddressStanding;
}

interface Rule {
  bytes: number[];
  prefix: number;
  range: string;
  standing: AddressStanding;
}

const rule = (bytes: number[], prefix: number, range: string, standing: AddressStanding): Rule => ({ bytes, prefix, range, standing });

// Cloud metadata services first: they sit inside ranges with a milder standing.
const V4_RULES: Rule[] = [
  rule([169, 254, 169, 254], 32, "cloud metadata", "always"), // AWS, GCP, Azure
  rule([100, 100, 100, 200], 32, "cloud metadata", "always"), // Alibaba Cloud
  rule([192, 0, 0, 192], 32, "cloud metadata", "always"), // Oracle Cloud
  rule([169, 254, 0, 0], 16, "link-local", "always"),
  rule([224, 0, 0, 0], 4, "multicast", "always"),
  rule([240, 0, 0, 0], 4, "reserved", "always"), // and 255.255.255.255
  rule([0, 0, 0, 0], 8, "unspecified", "private"), // 0.0.0.0 reaches this machine
  rule([127, 0, 0, 0], 8, "loopback", "private"),
  rule([10, 0, 0, 0], 8, "private", "private"),
  rule([172, 16, 0, 0], 12, "private", "private"),
  rule([192, 168, 0, 0], 16, "private", "private"),
  rule([100, 64, 0, 0], 10, "shared (carrier-grade NAT)", "private"),
  rule([192, 0, 0, 0], 24, "IETF-reserved", "private"),
  rule([198, 18, 0, 0], 15, "benchmarking", "private"),
];

const V6_RULES: Rule[] = [
  rule([0xfd, 0x00, 0x0e, 0xc2, ...Array<number>(10).fill(0), 0x02, 0x54], 128, "cloud metadata", "always"), // fd00:ec2::254
  rule([0xfe, 0x80], 10, "link-local", "always"),
  rule([0xff], 8, "multicast", "always"),
  rule([...Array<number>(16).fill(0)], 128, "unspecified", "private"),
  rule([...Array<number>(15).fill(0), 1], 128, "loopback", "private"),
  rule([0xfc], 7, "private (unique local)", "private"),
  rule([0xfe, 0xc0], 10, "site-local", "private"),
  rule([0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, "private (local NAT64)", "private"),
  rule([0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, "discard-only", "private"),
];

function matches(address: number[], { bytes, prefix }: Rule): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const width = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((address[bit / 8] ?? 0) & mask) !== ((bytes[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Bytes(text: string): number[] {
  return text.split(".").map(Number);
}

/** The 16 bytes of an IPv6 address (zone id dropped); undefined when it is not one. */
export function ipv6Bytes(text: string): number[] | undefined {
  let address = text.replace(/%.*$/, "");
  if (isIP(address) !== 6) return undefined;
  const lastColon = address.lastIndexOf(":");
  const dotted = address.slice(lastColon + 1);
  if (isIPv4(dotted)) {
    // a.b.c.d as the last two groups
    const [a, b, c, d] = ipv4Bytes(dotted) as [number, number, number, number];
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = address.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = parse(rest ?? "");
  const words = rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if it carries one. */
function embeddedIpv4(bytes: number[]): number[] | undefined {
  const zero = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zero(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12); // ::ffff:a.b.c.d
  // ::a.b.c.d (deprecated v4-compatible), but not :: and ::1 themselves.
  if (zero(0, 12) && !zero(12, 15)) return bytes.slice(12);
  if (matches(bytes, rule([0x00, 0x64, 0xff, 0x9b], 96, "", "public"))) return bytes.slice(12); // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6); // 6to4 2002:AABB:CCDD::/48
  return undefined;
}

const PUBLIC: AddressRange = { range: "public", standing: "public" };

function rangeOfBytes(bytes: number[], rules: Rule[]): AddressRange {
  const found = rules.find((r) => matches(bytes, r));
  return found ? { range: found.range, standing: found.standing } : PUBLIC;
}

/** The range of an IP address; undefined when `address` is not an IP address. */
export function addressRange(address: string): AddressRange | undefined {
  if (isIPv4(address)) return rangeOfBytes(ipv4Bytes(address), V4_RULES);
  const bytes = ipv6Bytes(address);
  if (!bytes) return undefined;
  const inner = embeddedIpv4(bytes);
  return inner ? rangeOfBytes(inner, V4_RULES) : rangeOfBytes(bytes, V6_RULES);
}
