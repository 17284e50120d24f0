import type { FileMessage } from '@parley/protocol';
import type { FileTransfers, FileTransfersOptions } from './files/file-transfers.ts';

export interface SessionFilesOptions extends Omit<FileTransfersOptions, 'openSink'> {
  /** Loads the file-transfer code; a dynamic import in the app so the call page stays light. */
  load?: (() => Promise<typeof FileTransfers>) | undefined;
}

/**
 * The call's file transfers, loaded on first use. Events about participants (connected, left)
 * reach the transfers only once they are loaded: before the first transfer there is nothing to
 * resume or end.
 */
export class SessionFiles {
  private loaded: Promise<FileTransfers> | undefined;

  constructor(private readonly options: SessionFilesOptions) {}

  send(files: File[], participantIds: string[]): void {
    void this.transfers().then((f) => f.send(files, participantIds));
  }

  accept(id: string): void {
    void this.transfers().then((f) => f.accept(id));
  }

  decline(id: string): void {
    void this.transfers().then((f) => f.decline(id));
  }

  cancel(id: string): void {
    void this.transfers().then((f) => f.cancel(id));
  }

  handle(participantId: string, message: FileMessage): void {
    void this.transfers().then((f) => f.handle(participantId, message));
  }

  /** The link is (back) up: a download that could not ask for its bytes continues now. */
  participantConnected(participantId: string): void {
    void this.loaded?.then((f) => f.peerConnected(participantId));
  }

  participantLeft(participantId: string): void {
    void this.loaded?.then((f) => f.peerLeft(participantId));
  }

  dispose(): void {
    void this.loaded?.then((f) => f.dispose());
  }

  private transfers(): Promise<FileTransfers> {
    const { load, ...options } = this.options;
    this.loaded ??= (
      load ?? (() => import('./files/file-transfers.ts').then((m) => m.FileTransfers))
    )().then((Transfers) => new Transfers(options));
    return this.loaded;
  }
}
