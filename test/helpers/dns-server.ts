/**
 * A real DNS server for tests: a UDP responder on 127.0.0.1 that answers A and AAAA queries from
 * zones the test edits while it runs, and counts the queries it gets.
 */
import { createSocket, type Socket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { once } from 'node:events'
import * as dnsPacket from 'dns-packet'

/** What the server answers for one name; a name without a zone is NXDOMAIN. */
export interface Zone {
  a?: string[]
  aaaa?: string[]
  /** Seconds, for every record of the name. */
  ttl?: number
  /** Answer this error instead of records. */
  rcode?: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN'
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const

export class DnsServer {
  /** Names (lower case) to what they answer; edit freely between queries. */
  readonly zones = new Map<string, Zone>()
  /** Every question received, as `TYPE name`. */
  readonly queries: string[] = []

  constructor(
    readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg, from) => {
      const reply = this.#answer(msg)
      if (reply) socket.send(reply, from.port, from.address)
    })
  }

  /** How many questions named this name. */
  count(name: string): number {
    return this.queries.filter((q) => q.endsWith(` ${name}`)).length
  }

  /** A resolver that asks only this server, once, with a short timeout. */
  resolver(): Resolver {
    const resolver = new Resolver({ timeout: 500, tries: 1 })
    resolver.setServers([`127.0.0.1:${this.port}`])
    return resolver
  }

  async close(): Promise<void> {
    this.socket.close()
    await once(this.socket, 'close')
  }

  #answer(msg: Buffer): Buffer | undefined {
    let query: dnsPacket.DecodedPacket
    try {
      query = dnsPacket.decode(msg)
    } catch {
      return undefined
    }
    const question = query.questions?.[0]
    if (!question) return undefined
    const name = question.name.toLowerCase()
    this.queries.push(`${question.type} ${name}`)
    const zone = this.zones.get(name)
    const rcode = zone === undefined ? 'NXDOMAIN' : (zone.rcode ?? 'NOERROR')
    const ttl = zone?.ttl ?? 60
    const answers: dnsPacket.Answer[] = []
    if (rcode === 'NOERROR' && zone) {
      if (question.type === 'A') for (const data of zone.a ?? []) answers.push({ type: 'A', name: question.name, ttl, data })
      if (question.type === 'AAAA') for (const data of zone.aaaa ?? []) answers.push({ type: 'AAAA', name: question.name, ttl, data })
    }
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode],
      questions: [question],
      answers,
    })
  }
}

/** Starts a server on a free port of 127.0.0.1. */
export async function startDnsServer(): Promise<DnsServer> {
  const socket = createSocket('udp4')
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  return new DnsServer(socket, socket.address().port)
}
