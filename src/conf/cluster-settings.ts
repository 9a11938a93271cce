/**
 * The hybrid-mode certificates, read as Kong's conf_loader reads them: required for both roles,
 * each a path, PEM text or base64 of the PEM, checked when settings load so that a bad file is a
 * settings error, not a failed handshake later. The values become the PEM texts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { certProblem, keyProblem, readItem } from './tls-settings.js'

/** A setting's PEM text, and how messages name where it came from (a path, never key material). */
type Read = { readonly pem: string; readonly from: string } | undefined

/** Checks and reads cluster_cert, cluster_cert_key and cluster_ca_cert of a data plane or control plane; problems are appended. */
export function checkClusterSettings(values: Record<string, unknown>, cwd: string, problems: string[]): void {
  if (values.role !== 'data_plane' && values.role !== 'control_plane') return
  const cert = values.cluster_cert as string | undefined
  const key = values.cluster_cert_key as string | undefined
  const ca = values.cluster_ca_cert as string | undefined
  let certRead: Read
  let keyRead: Read
  if (cert === undefined || key === undefined) {
    problems.push('cluster certificate and key must be provided to use Hybrid mode')
  } else {
    certRead = readPem('cluster_cert', 'certificate', cert, cwd, problems)
    keyRead = readPem('cluster_cert_key', 'key', key, cwd, problems)
    values.cluster_cert = certRead?.pem
    values.cluster_cert_key = keyRead?.pem
  }
  if (ca !== undefined) values.cluster_ca_cert = readPem('cluster_ca_cert', 'certificate', ca, cwd, problems)?.pem
  if (certRead && keyRead && !new X509Certificate(certRead.pem).checkPrivateKey(createPrivateKey(keyRead.pem))) {
    problems.push(`cluster_cert_key: the key from ${keyRead.from} does not match the certificate from ${certRead.from}`)
  }
}

function readPem(setting: string, kind: 'certificate' | 'key', value: string, cwd: string, problems: string[]): Read {
  const item = readItem(value, 'the setting', cwd)
  const problem = 'problem' in item ? item.problem : kind === 'key' ? keyProblem(item.pem) : certProblem(item.pem)
  if (problem !== undefined || 'problem' in item) {
    problems.push(`${setting}: failed loading ${kind} from ${item.from}: ${problem}`)
    return undefined
  }
  return item
}
