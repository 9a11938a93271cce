/**
 * The hybrid-mode certificates, read as Kong's conf_loader reads them: required for both roles,
 * each a path, PEM text or base64 of the PEM, checked when settings load so that a bad file is a
 * settings error, not a failed handshake later. The values become the PEM texts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { certProblem, keyProblem, readItem } from './tls-settings.js'

/** Checks and reads cluster_cert, cluster_cert_key and cluster_ca_cert of a data plane or control plane; problems are appended. */
export function checkClusterSettings(values: Record<string, unknown>, cwd: string, problems: string[]): void {
  if (values.role !== 'data_plane' && values.role !== 'control_plane') return
  const cert = values.cluster_cert as string | undefined
  const key = values.cluster_cert_key as string | undefined
  const ca = values.cluster_ca_cert as string | undefined
  const before = problems.length
  if (cert === undefined || key === undefined) {
    problems.push('cluster certificate and key must be provided to use Hybrid mode')
  } else {
    values.cluster_cert = readPem('cluster_cert', 'certificate', cert, cwd, problems)
    values.cluster_cert_key = readPem('cluster_cert_key', 'key', key, cwd, problems)
  }
  if (ca !== undefined) values.cluster_ca_cert = readPem('cluster_ca_cert', 'certificate', ca, cwd, problems)
  if (problems.length > before || cert === undefined || key === undefined) return
  if (!new X509Certificate(values.cluster_cert as string).checkPrivateKey(createPrivateKey(values.cluster_cert_key as string))) {
    problems.push(`cluster_cert_key: the key from ${describe(key)} does not match the certificate from ${describe(cert)}`)
  }
}

/** A setting's value as messages may repeat it: a path, never key material. */
function describe(value: string): string {
  return value.includes('-----BEGIN') || value.length > 256 ? 'the setting (inline)' : value
}

function readPem(setting: string, kind: 'certificate' | 'key', value: string, cwd: string, problems: string[]): string | undefined {
  const item = readItem(value, 1, cwd)
  const problem = 'problem' in item ? item.problem : kind === 'key' ? keyProblem(item.pem) : certProblem(item.pem)
  if (problem !== undefined || 'problem' in item) {
    problems.push(`${setting}: failed loading ${kind} from ${item.from === 'item 1' ? 'the setting' : item.from.replace(/^item 1 /, 'the setting ')}: ${problem}`)
    return undefined
  }
  return item.pem
}
