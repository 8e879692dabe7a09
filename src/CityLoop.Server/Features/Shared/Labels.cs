using CityLoop.Domain;
using CityLoop.Domain.Cases;
using static CityLoop.Server.Features.Shared.Ui;

namespace CityLoop.Server.Features.Shared;

/// <summary>The one place where the workflow's vocabulary gets its Chinese and English names.</summary>
public static class Labels
{
    static readonly Dictionary<CaseState, (string Zh, string En)> States = new()
    {
        [CaseState.Reported] = ("登记", "Reported"),
        [CaseState.Verifying] = ("核实中", "Verifying"),
        [CaseState.PendingFiling] = ("待立案", "Pending filing"),
        [CaseState.Rejected] = ("不予立案", "Rejected"),
        [CaseState.PendingDispatch] = ("待派遣", "Pending dispatch"),
        [CaseState.PendingSignFor] = ("待签收", "Pending sign-for"),
        [CaseState.Handling] = ("处置中", "Handling"),
        [CaseState.ReturnRequested] = ("回退申请", "Return requested"),
        [CaseState.ExtensionRequested] = ("延期申请", "Extension requested"),
        [CaseState.SuspensionRequested] = ("挂账申请", "Suspension requested"),
        [CaseState.Suspended] = ("挂账", "Suspended"),
        [CaseState.FeedbackReview] = ("待反馈审核", "Report under review"),
        [CaseState.ArbitrationRequested] = ("退单仲裁", "Return in arbitration"),
        [CaseState.PendingCheck] = ("待核查", "Pending check"),
        [CaseState.PendingClose] = ("待结案", "Pending close"),
        [CaseState.Closed] = ("已结案", "Closed"),
        [CaseState.Transferred] = ("已转办", "Transferred"),
        [CaseState.Cancelled] = ("已作废", "Cancelled"),
        [CaseState.Merged] = ("已并单", "Merged"),
    };

    static readonly Dictionary<CaseAction, (string Zh, string En)> Actions = new()
    {
        [CaseAction.RequestVerification] = ("派核实", "Request verification"),
        [CaseAction.Verify] = ("核实反馈", "Verify"),
        [CaseAction.Register] = ("登记提交", "Register"),
        [CaseAction.File] = ("立案", "File"),
        [CaseAction.Reject] = ("不予立案", "Reject"),
        [CaseAction.AnswerDirectly] = ("直接办结", "Answer directly"),
        [CaseAction.Dispatch] = ("派遣", "Dispatch"),
        [CaseAction.SignFor] = ("签收", "Sign for"),
        [CaseAction.Return] = ("回退", "Return"),
        [CaseAction.ApproveReturn] = ("同意回退", "Approve return"),
        [CaseAction.DenyReturn] = ("驳回回退", "Deny return"),
        [CaseAction.Redispatch] = ("改派", "Redispatch"),
        [CaseAction.RequestExtension] = ("延期申请", "Request extension"),
        [CaseAction.ApproveExtension] = ("同意延期", "Approve extension"),
        [CaseAction.DenyExtension] = ("驳回延期", "Deny extension"),
        [CaseAction.RequestSuspension] = ("挂账申请", "Request suspension"),
        [CaseAction.ApproveSuspension] = ("同意挂账", "Approve suspension"),
        [CaseAction.DenySuspension] = ("驳回挂账", "Deny suspension"),
        [CaseAction.Resume] = ("恢复办理", "Resume"),
        [CaseAction.Finish] = ("办结反馈", "Report finished"),
        [CaseAction.CheckPass] = ("核查通过", "Check passed"),
        [CaseAction.CheckFail] = ("核查不通过（返工）", "Check failed (rework)"),
        [CaseAction.Close] = ("结案", "Close"),
        [CaseAction.FollowUp] = ("回访", "Follow up"),
        [CaseAction.Reopen] = ("重新办理", "Reopen"),
        [CaseAction.Transfer] = ("转办", "Transfer"),
        [CaseAction.Merge] = ("并单", "Merge"),
        [CaseAction.Cancel] = ("作废", "Cancel"),
        [CaseAction.Supervise] = ("督办", "Supervise"),
        [CaseAction.Assign] = ("内部分派", "Assign internally"),
        [CaseAction.TakeBack] = ("收回分派", "Take back"),
        [CaseAction.AssistReport] = ("协办反馈", "Report assisting part"),
        [CaseAction.AcceptFeedback] = ("反馈审核通过", "Accept report"),
        [CaseAction.RejectFeedback] = ("反馈退回", "Send report back"),
        [CaseAction.AssignCheck] = ("派核查", "Assign check"),
        [CaseAction.SelfHandle] = ("自行处置", "Handled on the spot"),
        [CaseAction.Urge] = ("催办", "Remind"),
        [CaseAction.ReferArbitration] = ("提请仲裁", "Refer to arbitration"),
        [CaseAction.Arbitrate] = ("仲裁", "Arbitrate"),
        [CaseAction.HandOver] = ("移交分中心", "Hand to another centre"),
    };

    /// <summary>Timeline entries that are notes rather than transitions.</summary>
    static readonly Dictionary<string, (string Zh, string En)> Notes = new()
    {
        ["create"] = ("登记", "Created"),
        ["unmask"] = ("查看举报人", "Reporter revealed"),
        ["attach"] = ("上传附件", "Attachment added"),
        ["camera-alert"] = ("视频告警重复上报", "Camera alert repeated"),
        ["overdue"] = ("超期", "Overdue"),
        ["overdue-cleared"] = ("超期解除", "Overdue cleared"),
        ["merged-in"] = ("并入案件", "Case merged in"),
        ["follow-up-scheduled"] = ("安排回访", "Follow-up scheduled"),
        ["follow-up-reviewed"] = ("回访结果处理", "Follow-up reviewed"),
        ["remind"] = ("时限提醒", "Reminder"),
        ["escalate"] = ("超期升级", "Escalation"),
        ["notify"] = ("消息通知", "Notification"),
        ["deadlines-recomputed"] = ("时限重算", "Deadlines recomputed"),
        ["supervision-order"] = ("督办单", "Supervision order"),
        ["supervision-reply"] = ("督办回复", "Supervision reply"),
        ["supervision-closed"] = ("督办办结", "Supervision closed"),
        ["reporter-erased"] = ("反映人信息已删除", "Reporter data erased"),
        ["knowledge-used"] = ("引用知识库答复", "Answered from the knowledge base"),
        ["emergency-transfer"] = ("紧急警情待转接", "Emergency: to transfer"),
        ["citizen-rating"] = ("市民评价", "Citizen's rating"),
        ["import-facts"] = ("历史数据导入（来源记录的答复与办结）", "Imported history (the source's reply and closure)"),
        ["peer-linked"] = ("关联上级交办", "Linked to the upper platform's case"),
        ["peer-status"] = ("对端平台进展", "Progress on the peer platform"),
        ["peer-result"] = ("对端平台办理结果", "Result from the peer platform"),
        ["peer-follow-up"] = ("对端平台回访", "Follow-up on the peer platform"),
    };

    static readonly Dictionary<RequestType, (string Zh, string En)> RequestTypes = new()
    {
        [Domain.Cases.RequestType.Enquiry] = ("咨询", "Enquiry"),
        [Domain.Cases.RequestType.Help] = ("求助", "Help"),
        [Domain.Cases.RequestType.Complaint] = ("投诉", "Complaint"),
        [Domain.Cases.RequestType.Report] = ("举报", "Report"),
        [Domain.Cases.RequestType.Suggestion] = ("建议", "Suggestion"),
        [Domain.Cases.RequestType.Praise] = ("表扬", "Praise"),
    };

    static readonly Dictionary<CaseSource, (string Zh, string En)> Sources = new()
    {
        [CaseSource.Hotline] = ("热线电话", "Hotline"),
        [CaseSource.InspectorPatrol] = ("监督员巡查", "Inspector patrol"),
        [CaseSource.Website] = ("网站", "Website"),
        [CaseSource.MobileApp] = ("手机应用", "Mobile app"),
        [CaseSource.WeChat] = ("微信", "WeChat"),
        [CaseSource.Video] = ("视频监控", "Video"),
        [CaseSource.LeaderInstruction] = ("领导批示", "Leader instruction"),
        [CaseSource.Media] = ("媒体曝光", "Media"),
        [CaseSource.PeopleCongress] = ("人大政协", "People's congress"),
        [CaseSource.UpperPlatform] = ("上级交办", "Upper platform"),
        [CaseSource.DepartmentTransfer] = ("部门转办", "Department transfer"),
        [CaseSource.Open311] = ("Open311", "Open311"),
        [CaseSource.Import] = ("批量导入", "Import"),
        [CaseSource.LowerPlatform] = ("下级上报", "Lower platform"),
    };

    static readonly Dictionary<Urgency, (string Zh, string En)> Urgencies = new()
    {
        [Domain.Cases.Urgency.Normal] = ("一般", "Normal"),
        [Domain.Cases.Urgency.Urgent] = ("紧急", "Urgent"),
        [Domain.Cases.Urgency.Critical] = ("特急", "Critical"),
    };

    static readonly Dictionary<Satisfaction, (string Zh, string En)> Satisfactions = new()
    {
        [Domain.Cases.Satisfaction.VerySatisfied] = ("非常满意", "Very satisfied"),
        [Domain.Cases.Satisfaction.Satisfied] = ("满意", "Satisfied"),
        [Domain.Cases.Satisfaction.BasicallySatisfied] = ("基本满意", "Basically satisfied"),
        [Domain.Cases.Satisfaction.Dissatisfied] = ("不满意", "Dissatisfied"),
    };

    static readonly Dictionary<Domain.Identity.Role, (string Zh, string En)> Roles = new()
    {
        [Domain.Identity.Role.HotlineAgent] = ("话务员", "Hotline agent"),
        [Domain.Identity.Role.IntakeOperator] = ("受理员", "Intake operator"),
        [Domain.Identity.Role.ShiftLeader] = ("值班长", "Shift leader"),
        [Domain.Identity.Role.Dispatcher] = ("派遣员", "Dispatcher"),
        [Domain.Identity.Role.DepartmentHandler] = ("处置人员", "Department handler"),
        [Domain.Identity.Role.DepartmentHead] = ("部门负责人", "Department head"),
        [Domain.Identity.Role.Inspector] = ("监督员", "Inspector"),
        [Domain.Identity.Role.Supervisor] = ("督办领导", "Supervisor"),
        [Domain.Identity.Role.SystemAdmin] = ("系统管理员", "System admin"),
        [Domain.Identity.Role.SecurityAdmin] = ("安全管理员", "Security admin"),
        [Domain.Identity.Role.AuditAdmin] = ("审计管理员", "Audit admin"),
        [Domain.Identity.Role.KnowledgeEditor] = ("知识库编辑", "Knowledge editor"),
        [Domain.Identity.Role.Display] = ("大屏展示", "Wall screen display"),
        [Domain.Identity.Role.Telephony] = ("电话系统", "Telephone system"),
        // The machine principals: what the system's own steps are, never the enum's name.
        [Domain.Identity.Role.PortalChannel] = ("市民门户", "Citizen portal"),
        [Domain.Identity.Role.CameraChannel] = ("视频平台", "Video platform"),
        [Domain.Identity.Role.Open311Client] = ("Open311 接入系统", "Open311 client"),
        [Domain.Identity.Role.PeerPlatform] = ("上下级平台", "Peer platform"),
        [Domain.Identity.Role.Importer] = ("数据导入", "Data import"),
        [Domain.Identity.Role.BackgroundWorker] = ("系统", "System"),
    };

    /// <summary>Names of the fields an action asks for (ActionField.Name).</summary>
    static readonly Dictionary<string, (string Zh, string En)> Fields = new()
    {
        ["opinion"] = ("意见", "Opinion"),
        ["reason"] = ("理由", "Reason"),
        ["answer"] = ("答复内容", "Answer"),
        ["result"] = ("处置结果", "Result"),
        ["comment"] = ("回访记录", "Comment"),
        ["target"] = ("转办单位", "Transfer to"),
        ["targetCase"] = ("并入案件", "Merge into case"),
        ["inspector"] = ("监督员", "Inspector"),
        ["categoryCode"] = ("案件类别", "Category"),
        ["standardItem"] = ("立结案标准", "Standard item"),
        ["leadDepartment"] = ("主办单位", "Lead department"),
        ["assistingDepartments"] = ("协办单位", "Assisting departments"),
        ["dueAt"] = ("期限", "Due at"),
        ["requestedDueAt"] = ("申请期限", "Requested due"),
        ["handlingDueAt"] = ("处置期限", "Handling due"),
        ["confirmed"] = ("情况属实", "Confirmed"),
        ["contacted"] = ("已联系市民", "Citizen contacted"),
        ["resolved"] = ("问题已解决", "Resolved"),
        ["satisfaction"] = ("满意度", "Satisfaction"),
        ["attachmentIds"] = ("附件", "Attachments"),
        ["assignee"] = ("承办人", "Assignee"),
        ["team"] = ("承办班组", "Team"),
        ["platform"] = ("接收平台", "Receiving centre"),
        ["handedFrom"] = ("移出平台", "Handed over by"),
        ["handedTo"] = ("移交至", "Handed over to"),
        ["upheld"] = ("退单成立", "Return upheld"),
        ["method"] = ("核查方式", "Check method"),
        ["department"] = ("单位", "Department"),
        ["caseNumber"] = ("案件编号", "Case number"),
        ["mergedBy"] = ("并单人", "Merged by"),
        ["outcome"] = ("处理结果", "Outcome"),
        ["signForDueAt"] = ("签收期限", "Sign-for due"),
        ["previousDueAt"] = ("原处置期限", "Previous handling due"),
        ["onTime"] = ("按期办结", "On time"),
        ["reworkCount"] = ("返工", "Rework"),
        ["reopenedCount"] = ("重办", "Reopened"),
        ["phase"] = ("阶段", "Phase"),
        // The agent desktop, calls and the knowledge base.
        ["article"] = ("知识库文章", "Knowledge article"),
        ["service"] = ("转接", "Transfer to"),
        ["emergency"] = ("紧急警情转接", "Emergency transfer"),
        ["phone"] = ("来电号码", "Caller's number"),
        ["description"] = ("诉求内容", "Description"),
        ["location"] = ("地点", "Location"),
        ["address"] = ("地址", "Address"),
        ["title"] = ("标题", "Title"),
        ["body"] = ("详细内容", "Details"),
        ["keywords"] = ("关键词", "Keywords"),
        ["ownerDepartment"] = ("责任单位", "Owner"),
        ["validFrom"] = ("生效日期", "Valid from"),
        ["validTo"] = ("失效日期", "Valid to"),
        ["version"] = ("版本", "Version"),
        ["note"] = ("回拨记录", "Note"),
        ["callId"] = ("呼叫编号", "Call id"),
        ["caller"] = ("来电号码", "Caller's number"),
        ["calledLine"] = ("呼入热线", "Line called"),
        ["queuedAt"] = ("进线时间", "Queued at"),
        ["answeredAt"] = ("接听时间", "Answered at"),
        ["endedAt"] = ("挂机时间", "Ended at"),
    };

    static readonly Dictionary<string, (string Zh, string En)> EmergencyServices = new()
    {
        ["110"] = ("110 报警", "110 police"),
        ["119"] = ("119 消防", "119 fire"),
        ["120"] = ("120 急救", "120 ambulance"),
        ["122"] = ("122 交通事故", "122 traffic accidents"),
    };

    static readonly Dictionary<string, (string Zh, string En)> Lights = new()
    {
        ["green"] = ("正常", "On time"),
        ["yellow"] = ("临期", "Due soon"),
        ["red"] = ("超期", "Overdue"),
        ["paused"] = ("暂停计时", "Clock paused"),
        ["none"] = ("不计时", "No clock"),
    };

    static readonly Dictionary<Supervision.SupervisionLevel, (string Zh, string En)> Levels = new()
    {
        [Supervision.SupervisionLevel.General] = ("一般督办", "General"),
        [Supervision.SupervisionLevel.Key] = ("重点督办", "Key"),
        [Supervision.SupervisionLevel.LeaderLevel] = ("领导督办", "Leader-level"),
    };

    /// <summary>Statuses of supervision orders and follow-up tasks, and follow-up outcomes.</summary>
    static readonly Dictionary<string, (string Zh, string En)> Statuses = new()
    {
        ["open"] = ("待办", "Open"),
        ["replied"] = ("已回复", "Replied"),
        ["closed"] = ("已办结", "Closed"),
        ["done"] = ("已回访", "Done"),
        ["skipped"] = ("无需回访", "Skipped"),
        ["call"] = ("电话回访", "Call back"),
        ["link"] = ("短信自评", "Self-rating link"),
        ["reopened"] = ("已重办", "Reopened"),
        ["awaiting-approval"] = ("待审批重办", "Awaiting approval"),
        ["limit-reached"] = ("重办次数已满", "Reopen limit reached"),
        ["on-site"] = ("现场核查", "On site"),
        ["on-behalf"] = ("代录核查", "Recorded for the inspector"),
        ["call-back"] = ("电话回访核查", "Call-back"),
    };

    static readonly Dictionary<string, (string Zh, string En)> Phases = new()
    {
        ["filing"] = ("立案", "Filing"),
        ["verification"] = ("核实", "Verification"),
        ["dispatch"] = ("派遣", "Dispatch"),
        ["sign-for"] = ("签收", "Sign-for"),
        ["handling"] = ("处置", "Handling"),
        ["review"] = ("反馈审核", "Report review"),
        ["check"] = ("核查", "Check"),
        ["close"] = ("结案", "Close"),
        ["follow-up"] = ("回访", "Follow-up"),
    };

    static readonly Dictionary<string, (string Zh, string En)> LimitTypes = new()
    {
        ["calendar-days"] = ("自然日", "calendar days"),
        ["working-days"] = ("工作日", "working days"),
        ["working-hours"] = ("工作时", "working hours"),
        ["urgent-hours"] = ("紧急工作时", "urgent hours"),
    };

    static string Of<T>(Dictionary<T, (string Zh, string En)> map, T key, string fallback) where T : notnull =>
        map.TryGetValue(key, out var t) ? Pick(t.Zh, t.En) : fallback;

    public static string State(CaseState s) => Of(States, s, s.ToString());
    public static string State(string? api) => api is not null && Kebab.TryParse<CaseState>(api, out var s) ? State(s) : api ?? "";
    public static string Action(CaseAction a) => Of(Actions, a, a.ToString());

    /// <summary>A timeline entry: a transition in kebab-case, or a note such as "create" or "unmask".</summary>
    public static string Action(string api) =>
        TransitionTable.TryParseAction(api, out var a) ? Action(a) : Of(Notes, api, api);

    public static string RequestType(RequestType t) => Of(RequestTypes, t, t.ToString());
    public static string Source(CaseSource s) => Of(Sources, s, s.ToString());
    public static string Urgency(Urgency u) => Of(Urgencies, u, u.ToString());
    public static string Satisfaction(Satisfaction s) => Of(Satisfactions, s, s.ToString());
    public static string Role(Domain.Identity.Role r) => Of(Roles, r, r.ToString());
    public static string Role(string? api) => Domain.Identity.Roles.TryParse(api, out var r) ? Role(r) : api ?? "";
    public static string Field(string name) => Of(Fields, name, name);
    public static bool HasField(string name) => Fields.ContainsKey(name);
    public static bool HasNote(string kind) => Notes.ContainsKey(kind);
    public static string Emergency(string? service) => service is null ? "" : Of(EmergencyServices, service, service);
    public static string Light(string light) => Of(Lights, light, light);
    public static IEnumerable<string> LightKeys => Lights.Keys;
    public static string Level(Supervision.SupervisionLevel level) => Of(Levels, level, level.ToString());
    public static string Status(string? status) => status is null ? "" : Of(Statuses, status, status);
    public static string Phase(string? phase) => phase is null ? "" : Of(Phases, phase, phase);
    public static string LimitType(string? type) => type is null ? "" : Of(LimitTypes, type, type);

    public static string CategoryKind(Domain.Catalogue.CategoryKind kind) => kind switch
    {
        Domain.Catalogue.CategoryKind.Component => Pick("部件", "Component"),
        Domain.Catalogue.CategoryKind.Event => Pick("事件", "Event"),
        _ => Pick("12345热线", "12345 hotline"),
    };

    /// <summary>A compact time limit (2h-urgent, 3d-work, 15d-cal) as people say it.</summary>
    public static string TimeLimit(string limit)
    {
        var m = System.Text.RegularExpressions.Regex.Match(limit, "^([0-9]+)([hd])-(urgent|work|cal)$");
        if (!m.Success) return limit;
        var unit = (m.Groups[2].Value, m.Groups[3].Value) switch
        {
            ("h", "urgent") => Pick("紧急工作时", "urgent hours"),
            ("h", "work") => Pick("工作时", "working hours"),
            ("d", "work") => Pick("工作日", "working days"),
            ("d", _) => Pick("自然日", "calendar days"),
            _ => Pick("小时", "hours"),
        };
        return m.Groups[1].Value + " " + unit;
    }
}
