import { leaveCall } from '../state/call-controller.ts';

/** Shown to a newcomer who knocked on a locked call, until someone answers. */
export function WaitingRoom() {
  return (
    <main className="page waiting-room" aria-busy="true">
      <h1>Waiting for someone to let you in</h1>
      <p role="status">
        This call is locked. The people in it have been asked to let you in; this page moves on by
        itself when they answer.
      </p>
      <div className="row">
        <button type="button" onClick={leaveCall}>
          Cancel
        </button>
      </div>
    </main>
  );
}
