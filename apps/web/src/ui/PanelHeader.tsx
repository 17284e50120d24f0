import { X } from 'lucide-react';

/** Title and close button of a side panel (Chat, Files, People). */
export function PanelHeader({
  title,
  heading = title,
  onClose,
}: {
  title: string;
  heading?: string;
  onClose: () => void;
}) {
  return (
    <div className="panel-header">
      <h2>{heading}</h2>
      <button type="button" className="icon-button" onClick={onClose}>
        <X aria-hidden="true" size={18} />
        <span className="visually-hidden">Close {title.toLowerCase()}</span>
      </button>
    </div>
  );
}
