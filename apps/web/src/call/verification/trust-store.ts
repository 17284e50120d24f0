/**
 * What the browser remembers for verification, in IndexedDB (database `parley-trust`):
 * - our DTLS certificate (an RTCCertificate is storable as is, its private key never leaves the
 *   browser), reused in every call, so a person verified once is recognised as the same device
 *   next time;
 * - the fingerprints of certificates the user marked "Verified", with the name they had.
 */

const DB_NAME = 'parley-trust';
const CERTIFICATES = 'certificates';
const VERIFIED = 'verified';
const OWN_CERTIFICATE = 'own';
/** A year: the longest Chromium lets a generated certificate live. Renewed after that. */
const CERTIFICATE_LIFETIME_MS = 365 * 24 * 3600 * 1000;
/** Renew this long before expiry, so a long call never outlives its certificate. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

export interface VerifiedContact {
  fingerprint: string;
  name: string;
  verifiedAt: number;
}

/** What the call needs of the store; tests pass an in-memory one. */
export interface TrustStore {
  isVerified(fingerprint: string): Promise<boolean>;
  markVerified(contact: VerifiedContact): Promise<void>;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(CERTIFICATES);
      request.result.createObjectStore(VERIFIED, { keyPath: 'fingerprint' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
}

function run<T>(
  db: IDBDatabase,
  store: string,
  mode: IDBTransactionMode,
  act: (s: IDBObjectStore) => IDBRequest,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = act(db.transaction(store, mode).objectStore(store));
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * Our persistent certificate: the stored one while it has more than a week left, else a new
 * ECDSA P-256 one (the browsers' default kind), stored for next time. Undefined where the
 * browser cannot store one (private windows of some browsers): calls then use a fresh
 * certificate, and codes simply change between calls.
 */
export async function persistentCertificate(): Promise<RTCCertificate | undefined> {
  try {
    const db = await open();
    try {
      const stored = await run<RTCCertificate | undefined>(db, CERTIFICATES, 'readonly', (s) =>
        s.get(OWN_CERTIFICATE),
      );
      if (stored && stored.expires - Date.now() > RENEW_BEFORE_MS) return stored;
      const fresh = await RTCPeerConnection.generateCertificate({
        name: 'ECDSA',
        namedCurve: 'P-256',
        expires: CERTIFICATE_LIFETIME_MS,
      } as EcKeyGenParams & { expires: number });
      await run(db, CERTIFICATES, 'readwrite', (s) => s.put(fresh, OWN_CERTIFICATE));
      return fresh;
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}

/** The contacts marked verified, kept in IndexedDB. */
export const indexedDbTrustStore: TrustStore = {
  async isVerified(fingerprint) {
    const db = await open();
    try {
      return (await run(db, VERIFIED, 'readonly', (s) => s.get(fingerprint))) !== undefined;
    } finally {
      db.close();
    }
  },
  async markVerified(contact) {
    const db = await open();
    try {
      await run(db, VERIFIED, 'readwrite', (s) => s.put(contact));
    } finally {
      db.close();
    }
  },
};
