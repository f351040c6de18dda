// A DNS server the network-guard tests control (dns2, UDP on 127.0.0.1): each name answers the
// A/AAAA records the test gives it, or a sequence of answers (the first query one, later
// queries the next: a rebinding name), and every query is counted.
import dns2 from "dns2";
import { LOOPBACK, freePort } from "./net.js";

const { Packet } = dns2;

/** One answer: the addresses of a name, IPv4 and IPv6 mixed, in the order they are answered. */
export type Addresses = string[];

export interface TestDns {
  /** `127.0.0.1:<port>`, for DNS_SERVERS. */
  server: string;
  /** Sets what `name` answers: one answer for every query, or one per query (the last repeats). */
  set(name: string, ...answers: Addresses[]): void;
  /** A queries `name` got so far. */
  queries(name: string): number;
  stop(): Promise<void>;
}

export async function startDns(): Promise<TestDns> {
  const names = new Map<string, Addresses[]>();
  const counts = new Map<string, number>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = (question?.name ?? "").toLowerCase().replace(/\.$/, "");
      const answers = names.get(name);
      if (!question || !answers) {
        response.header.rcode = Packet.RCODE.NXDOMAIN;
        send(response);
        return;
      }
      const v6 = question.type === Packet.TYPE.AAAA;
      const seen = v6 ? 0 : (counts.get(name) ?? 0);
      if (!v6) counts.set(name, seen + 1);
      // AAAA queries see the answer the latest A query got.
      const answer = answers[Math.min(v6 ? Math.max(0, (counts.get(name) ?? 1) - 1) : seen, answers.length - 1)]!;
      for (const address of answer.filter((a) => a.includes(":") === v6)) {
        // dns2's types want a Resource instance; the encoder takes a plain record.
        response.answers.push({ name: question.name, type: v6 ? Packet.TYPE.AAAA : Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 0, address } as never);
      }
      send(response);
    },
  });
  const port = await freePort();
  await server.listen({ udp: { port, address: LOOPBACK } });
  return {
    server: `${LOOPBACK}:${port}`,
    set: (name, ...answers) => {
      names.set(name.toLowerCase(), answers);
      counts.delete(name.toLowerCase());
    },
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    stop: () => server.close(),
  };
}
