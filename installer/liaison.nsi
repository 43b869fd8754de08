; Setup program for Windows: 残疾人专职委员工作台 (Liaison).
;
; Installs for the current Windows user only, without administrator rights, into
; %LOCALAPPDATA%\Programs\Liaison, with a start-menu folder, a desktop shortcut and an entry in
; 设置 → 应用 (HKCU). The user's data (%LOCALAPPDATA%\Liaison: the workspace database, attachments,
; the backups written before each schema upgrade, settings and logs) lives outside the program
; folder; this script never writes, moves or deletes anything there, so installing a newer
; version over an older one keeps it (the program upgrades the database on its first start),
; and uninstalling leaves it.
;
; Build (makensis 3.x, on Windows or Linux), from the PyInstaller folder dist\liaison:
;   makensis /DSRCDIR=dist\liaison /DOUTFILE=dist\liaison-setup.exe installer\liaison.nsi
; (on Linux the switches are -DSRCDIR=... -DOUTFILE=...). Both defines are optional:
;   SRCDIR   the PyInstaller one-folder build (default: dist/liaison beside installer/)
;   OUTFILE  the setup program to write (default: dist/liaison-VERSION-setup.exe)
;   VERSION  the version shown and registered (default: read from liaison/__init__.py)

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!define PRODUCT_NAME "残疾人专职委员工作台"
!define PRODUCT_ID "Liaison"
!define PUBLISHER "Liaison"
!define EXE_NAME "liaison.exe"
!define CLI_EXE_NAME "liaison-cli.exe"
!define UNINSTALLER "uninstall.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT_ID}"
; platformdirs' user data folder (liaison.core.db.default_database_path): never touched here
!define DATA_DIR "$LOCALAPPDATA\${PRODUCT_ID}"
!define ROOT "${__FILEDIR__}/.."

!ifndef VERSION
  !searchparse /file "${ROOT}/liaison/__init__.py" `__version__ = "` VERSION `"`
!endif
!ifndef VERSION
  !error "版本号未知：liaison/__init__.py 里没有 __version__，请用 /DVERSION=x.y.z 指定"
!endif
!ifndef VIVERSION
  !searchparse /noerrors "${VERSION}" `` V_MAJOR `.` V_MINOR `.` V_PATCH
  !ifndef V_PATCH
    !define V_PATCH 0
  !endif
  !define VIVERSION "${V_MAJOR}.${V_MINOR}.${V_PATCH}.0"
!endif
!ifndef SRCDIR
  !define SRCDIR "${ROOT}/dist/liaison"
!endif
!ifndef OUTFILE
  !define OUTFILE "${ROOT}/dist/liaison-${VERSION}-setup.exe"
!endif
!if /FileExists "${SRCDIR}/${EXE_NAME}"
!else
  !error "在 SRCDIR=${SRCDIR} 中找不到 ${EXE_NAME}：请先在 Windows 上用 PyInstaller 生成 dist\liaison（见 README）"
!endif

Name "${PRODUCT_NAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT_ID}"
; a reinstall or an upgrade goes where the previous version is
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${PRODUCT_NAME} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

!define MUI_ICON "${ROOT}/resources/icons/liaison.ico"
!define MUI_UNICON "${ROOT}/resources/icons/liaison.ico"
!define MUI_ABORTWARNING

!define MUI_WELCOMEPAGE_TITLE "安装 ${PRODUCT_NAME} ${VERSION}"
!define MUI_WELCOMEPAGE_TEXT "本向导将在这台电脑上安装 ${PRODUCT_NAME} ${VERSION}。$\r$\n$\r$\n\
只为当前 Windows 用户安装，不需要管理员权限。$\r$\n$\r$\n\
如果已经装有旧版本，新版本会替换旧的程序文件。工作数据保存在 ${DATA_DIR}，\
安装时不会被改动；新版本第一次启动时会先备份、再自动升级数据库。$\r$\n$\r$\n\
请先关闭正在运行的${PRODUCT_NAME}，然后点击“下一步”。"
!insertmacro MUI_PAGE_WELCOME
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE CheckInstallDir
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE_NAME}"
!define MUI_FINISHPAGE_RUN_TEXT "现在打开${PRODUCT_NAME}"
!insertmacro MUI_PAGE_FINISH

!define MUI_WELCOMEPAGE_TITLE "卸载 ${PRODUCT_NAME}"
!define MUI_WELCOMEPAGE_TEXT "本向导将从这台电脑上删除${PRODUCT_NAME}程序、开始菜单和桌面上的快捷方式。$\r$\n$\r$\n\
您的工作数据不会被删除：数据库、附件、升级前的备份、设置和日志都保存在$\r$\n\
${DATA_DIR}$\r$\n\
这个文件夹会原样保留，重新安装后可以继续使用。$\r$\n$\r$\n\
如果要把数据带到别的电脑，请复制这个文件夹；确实不再需要这些数据时，请在备份后自行删除它。"
!insertmacro MUI_UNPAGE_WELCOME
!define MUI_UNCONFIRMPAGE_TEXT_TOP "将删除下面文件夹中的程序文件。工作数据所在的 ${DATA_DIR} 会保留。"
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"

VIProductVersion "${VIVERSION}"
VIFileVersion "${VIVERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "${PRODUCT_NAME} 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "Apache-2.0"

; The program folder must not be the data folder: the data would then sit among program files.
Function CheckInstallDir
  ${If} $INSTDIR == "${DATA_DIR}"
    MessageBox MB_OK|MB_ICONEXCLAMATION "${DATA_DIR} 是保存工作数据的文件夹，请为程序另选一个文件夹。"
    Abort
  ${EndIf}
FunctionEnd

; Windows will not replace a running program's files: ask to close it first.
!macro CHECK_NOT_RUNNING UN
Function ${UN}CheckNotRunning
  ${If} ${FileExists} "$INSTDIR\${EXE_NAME}"
    retry:
    ClearErrors
    FileOpen $0 "$INSTDIR\${EXE_NAME}" a
    ${If} ${Errors}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${PRODUCT_NAME}正在运行。请先关闭它（保存好正在填写的内容），再点“重试”。" /SD IDCANCEL IDRETRY retry
      Abort "${PRODUCT_NAME}正在运行，已取消。"
    ${EndIf}
    FileClose $0
  ${EndIf}
FunctionEnd
!macroend
!insertmacro CHECK_NOT_RUNNING ""
!insertmacro CHECK_NOT_RUNNING "un."

Section "程序" SecProgram
  SectionIn RO
  Call CheckNotRunning
  SetOutPath "$INSTDIR"
  ; the previous version's libraries go first, so none is left beside the new ones
  RMDir /r "$INSTDIR\_internal"
  File /r "${SRCDIR}/*.*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateDirectory "$SMPROGRAMS\${PRODUCT_NAME}"
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME}\${PRODUCT_NAME}.lnk" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0
  CreateShortCut "$SMPROGRAMS\${PRODUCT_NAME}\卸载${PRODUCT_NAME}.lnk" "$INSTDIR\${UNINSTALLER}"
  CreateShortCut "$DESKTOP\${PRODUCT_NAME}.lnk" "$INSTDIR\${EXE_NAME}" "" "$INSTDIR\${EXE_NAME}" 0

  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${PRODUCT_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE_NAME},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
  DetailPrint "工作数据保存在 ${DATA_DIR}（未改动）"
SectionEnd

; Only what the setup put there is removed, file by file: never the whole program folder
; (someone may have chosen a folder holding other files), never the data folder.
Section "Uninstall"
  Call un.CheckNotRunning
  Delete "$DESKTOP\${PRODUCT_NAME}.lnk"
  Delete "$SMPROGRAMS\${PRODUCT_NAME}\${PRODUCT_NAME}.lnk"
  Delete "$SMPROGRAMS\${PRODUCT_NAME}\卸载${PRODUCT_NAME}.lnk"
  RMDir "$SMPROGRAMS\${PRODUCT_NAME}"

  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE_NAME}"
  Delete "$INSTDIR\${CLI_EXE_NAME}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"  ; only when empty

  DeleteRegKey HKCU "${UNINST_KEY}"
  DetailPrint "已保留工作数据：${DATA_DIR}"
SectionEnd
