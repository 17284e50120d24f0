import { Component, type ErrorInfo, type ReactNode } from 'react';
import './render-guard.css';

interface RenderGuardProps {
  /** What is guarded, for the fallback text: "Chat", "Ada's tile". */
  label: string;
  children: ReactNode;
}

/**
 * A React error boundary around one panel or tile. Without it, one render that throws (issue
 * 14: a chat time React could not format) unmounts the whole call page for everyone who got
 * the message; with it, only that part shows a short note and the call carries on. "Try again"
 * renders the part afresh, e.g. once the bad data is gone.
 */
export class RenderGuard extends Component<RenderGuardProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    // Kept for whoever debugs it; the page itself stays up.
    console.error(`${this.props.label} failed to render`, error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="render-guard">
        <p>{this.props.label} could not be shown.</p>
        <button type="button" onClick={() => this.setState({ failed: false })}>
          Try again
        </button>
      </div>
    );
  }
}
