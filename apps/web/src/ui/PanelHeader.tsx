/** Title and close button of a side panel (Chat, Files). */
export function PanelHeader({ title, onClose }: { title: string; onClose: () => void }) {
  return (
    <div className="row panel-header">
      <h2>{title}</h2>
      <button type="button" onClick={onClose}>
        Close {title.toLowerCase()}
      </button>
    </div>
  );
}
