import {
  Link,
  MessageSquare,
  Mic,
  MicOff,
  Paperclip,
  PhoneOff,
  ScreenShare,
  ScreenShareOff,
  Settings,
  Users,
  Video,
  VideoOff,
} from 'lucide-react';
import { useId, useMemo, useState } from 'react';
import { copyLink, leaveCall, toggleMedia, toggleScreenShare } from '../state/call-controller.ts';
import { useCallStore } from '../state/call-store.ts';
import { openPanel } from '../state/view-actions.ts';
import { ControlButton } from './controls/ControlButton.tsx';
import { useShortcuts } from './controls/keyboard-shortcuts.ts';
import { MoreMenu, type MoreAction } from './controls/MoreMenu.tsx';
import { DevicesPopover } from './devices/DevicesPopover.tsx';
import { LockButton, lockAction } from './LockButton.tsx';

/** Screen sharing exists only where the browser has getDisplayMedia (not on phones). */
const canShareScreen =
  typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';

/** `fileInputId`: the Files panel's file input, opened by "Send file". */
export function ControlBar({ fileInputId }: { fileInputId: string }) {
  const local = useCallStore((s) => s.local);
  const sharing = useCallStore((s) => s.sharingScreen);
  const chat = useCallStore((s) => s.chat);
  const filesOpen = useCallStore((s) => s.files.open);
  const peopleOpen = useCallStore((s) => s.view.peopleOpen);
  const count = useCallStore((s) => Object.keys(s.participants).length + 1);
  const locked = useCallStore((s) => s.door.locked);
  const [devicesOpen, setDevicesOpen] = useState(false);
  const devicesId = useId();

  const toggleChat = () => openPanel(chat.open ? undefined : 'chat');
  const togglePeople = () => openPanel(peopleOpen ? undefined : 'people');
  const sendFile = () => {
    openPanel('files');
    // The panel renders its input on this click; open the chooser once it exists.
    requestAnimationFrame(() => document.getElementById(fileInputId)?.click());
  };

  useShortcuts(
    useMemo(
      () => ({
        m: () => toggleMedia('audio'),
        v: () => toggleMedia('video'),
        c: () => openPanel(useCallStore.getState().chat.open ? undefined : 'chat'),
        p: () => openPanel(useCallStore.getState().view.peopleOpen ? undefined : 'people'),
      }),
      [],
    ),
  );

  const more: MoreAction[] = [
    ...(canShareScreen
      ? [
          {
            name: sharing ? 'Stop sharing' : 'Share screen',
            icon: sharing ? ScreenShareOff : ScreenShare,
            onClick: () => void toggleScreenShare(),
          },
        ]
      : []),
    { name: 'People', icon: Users, onClick: togglePeople },
    { name: 'Send file', icon: Paperclip, onClick: sendFile },
    { name: 'Copy link', icon: Link, onClick: () => void copyLink() },
    lockAction(locked),
    { name: 'Devices', icon: Settings, onClick: () => setDevicesOpen((o) => !o) },
  ];

  return (
    <nav className="control-bar" aria-label="Call controls">
      {devicesOpen && <DevicesPopover id={devicesId} onClose={() => setDevicesOpen(false)} />}
      <div className="controls">
        <ControlButton
          name="Microphone"
          icon={local.audioEnabled ? Mic : MicOff}
          tooltip={`${local.audioEnabled ? 'Turn off' : 'Turn on'} microphone (M)`}
          pressed={local.audioEnabled}
          disabled={!local.hasAudio}
          shortcut="M"
          tone={local.audioEnabled ? 'normal' : 'off'}
          onClick={() => toggleMedia('audio')}
        />
        <ControlButton
          name="Camera"
          icon={local.videoEnabled ? Video : VideoOff}
          tooltip={`${local.videoEnabled ? 'Turn off' : 'Turn on'} camera (V)`}
          pressed={local.videoEnabled}
          disabled={!local.hasVideo}
          shortcut="V"
          tone={local.videoEnabled ? 'normal' : 'off'}
          onClick={() => toggleMedia('video')}
        />
        {canShareScreen && (
          <ControlButton
            name={sharing ? 'Stop sharing' : 'Share screen'}
            icon={sharing ? ScreenShareOff : ScreenShare}
            tooltip={sharing ? 'Stop sharing your screen' : 'Share your screen'}
            pressed={sharing}
            tone={sharing ? 'active' : 'normal'}
            placement="more"
            onClick={() => void toggleScreenShare()}
          />
        )}
        <ControlButton
          name="Chat"
          icon={MessageSquare}
          tooltip={chat.open ? 'Close chat (C)' : 'Chat with everyone (C)'}
          expanded={chat.open}
          shortcut="C"
          tone={chat.open ? 'active' : 'normal'}
          onClick={toggleChat}
          extra={
            chat.unread > 0 && (
              <>
                <span className="unread" aria-hidden="true">
                  {chat.unread}
                </span>
                <span className="visually-hidden">, {chat.unread} unread</span>
              </>
            )
          }
        />
        <ControlButton
          name="People"
          icon={Users}
          tooltip={`People: ${count} in the call (P)`}
          expanded={peopleOpen}
          shortcut="P"
          tone={peopleOpen ? 'active' : 'normal'}
          placement="more"
          onClick={togglePeople}
        />
        <ControlButton
          name="Send file"
          icon={Paperclip}
          tooltip="Send a file"
          tone={filesOpen ? 'active' : 'normal'}
          placement="more"
          onClick={sendFile}
        />
        <ControlButton
          name="Copy link"
          icon={Link}
          tooltip="Copy the link to this call"
          placement="more"
          onClick={() => void copyLink()}
        />
        <LockButton />
        <ControlButton
          name="Devices"
          icon={Settings}
          tooltip="Camera, microphone and speaker"
          expanded={devicesOpen}
          controls={devicesOpen ? devicesId : undefined}
          placement="more"
          onClick={() => setDevicesOpen((o) => !o)}
        />
        <MoreMenu actions={more} />
        <ControlButton
          name="Leave"
          icon={PhoneOff}
          tooltip="Leave the call"
          tone="danger"
          onClick={leaveCall}
        />
      </div>
    </nav>
  );
}
