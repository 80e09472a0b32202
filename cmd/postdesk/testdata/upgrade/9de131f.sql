PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
INSERT INTO schema_migrations VALUES(1,'0001_init.sql',1795277365423);
INSERT INTO schema_migrations VALUES(2,'0002_threading.sql',1795277365425);
INSERT INTO schema_migrations VALUES(3,'0003_outbound.sql',1795277365428);
INSERT INTO schema_migrations VALUES(4,'0004_raw_inline.sql',1795277365429);
INSERT INTO schema_migrations VALUES(5,'0005_ticket_window.sql',1795277365431);
INSERT INTO schema_migrations VALUES(6,'0006_proposed_participants.sql',1795277365431);
INSERT INTO schema_migrations VALUES(7,'0007_bounce_verification.sql',1795277365433);
INSERT INTO schema_migrations VALUES(8,'0008_notices.sql',1795277365437);
INSERT INTO schema_migrations VALUES(9,'0009_ack_limits.sql',1795277365438);
INSERT INTO schema_migrations VALUES(12,'0012_imap_mailboxes.sql',1795277365439);
INSERT INTO schema_migrations VALUES(13,'0013_forwarding.sql',1795277365441);
INSERT INTO schema_migrations VALUES(14,'0014_import_checkpoints.sql',1795277365442);
INSERT INTO schema_migrations VALUES(15,'0015_sender_windows.sql',1795277365444);
INSERT INTO schema_migrations VALUES(16,'0016_outbox_rcpt_base.sql',1795277365445);
CREATE TABLE properties (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    from_name          TEXT    NOT NULL,
    from_address       TEXT    NOT NULL,
    tag_format         TEXT    NOT NULL DEFAULT '[#%d]',
    next_ticket_number INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL
, ack_enabled INTEGER NOT NULL DEFAULT 1);
INSERT INTO properties VALUES(1,'acme','Acme','Acme','support@acme.test','[#%d]',7,1795277365448,1);
INSERT INTO properties VALUES(2,'other','Other','Other','help@other.test','[#%d]',2,1795277365473,1);
CREATE TABLE property_addresses (
    address     TEXT    PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id)
);
INSERT INTO property_addresses VALUES('support@acme.test',1);
INSERT INTO property_addresses VALUES('help@other.test',2);
CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    email       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (property_id, email)
);
INSERT INTO members VALUES(1,1,'boss@acme.test','Boss','admin',1795277365491);
INSERT INTO members VALUES(2,1,'ana@acme.test','Ana Núñez','agent',1795277365515);
INSERT INTO members VALUES(3,1,'bob@acme.test','Bob','agent',1795277365540);
INSERT INTO members VALUES(4,2,'eve@other.test','Eve','agent',1795277365562);
CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    name        TEXT    NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (property_id, name)
);
INSERT INTO departments VALUES(1,1,'Support',1);
INSERT INTO departments VALUES(2,2,'Support',1);
INSERT INTO departments VALUES(3,1,'Sales',0);
CREATE TABLE department_members (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (department_id, member_id)
);
INSERT INTO department_members VALUES(1,1);
INSERT INTO department_members VALUES(1,2);
INSERT INTO department_members VALUES(1,3);
INSERT INTO department_members VALUES(2,4);
INSERT INTO department_members VALUES(3,2);
INSERT INTO department_members VALUES(3,3);
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    email       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL, window_start INTEGER NOT NULL DEFAULT 0, window_tickets INTEGER NOT NULL DEFAULT 0,
    UNIQUE (property_id, email)
);
INSERT INTO contacts VALUES(1,1,'c1@example.com','Cliente 1',1795277365612,0,0);
INSERT INTO contacts VALUES(2,1,'c2@example.com','Cliente 2',1795277365640,0,0);
INSERT INTO contacts VALUES(3,1,'c3@example.com','Cliente 3',1795277365670,0,0);
INSERT INTO contacts VALUES(4,1,'c4@example.com','Cliente 4',1795277365696,0,0);
INSERT INTO contacts VALUES(5,1,'c5@example.com','Cliente 5',1795277365724,0,0);
INSERT INTO contacts VALUES(6,1,'c6@example.com','Cliente 6',1795277365755,0,0);
INSERT INTO contacts VALUES(7,2,'oc@example.com','Other Customer',1795277365783,0,0);
CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    property_id   INTEGER NOT NULL REFERENCES properties(id),
    number        INTEGER NOT NULL,
    subject       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    priority      TEXT    NOT NULL,
    requester_id  INTEGER NOT NULL REFERENCES contacts(id),
    assignee_id   INTEGER REFERENCES members(id),
    department_id INTEGER REFERENCES departments(id),
    linked_id     INTEGER REFERENCES tickets(id),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL, tags TEXT NOT NULL DEFAULT '', snoozed_until INTEGER NOT NULL DEFAULT 0,
    UNIQUE (property_id, number)
);
INSERT INTO tickets VALUES(1,1,1,'Crème brûlée order','open','normal',1,NULL,1,NULL,1795277365613,1795277365613,'',0);
INSERT INTO tickets VALUES(2,1,2,'Facture impayée','open','urgent',2,NULL,1,NULL,1795277365641,1795277365641,replace('vip\nbilling','\n',char(10)),0);
INSERT INTO tickets VALUES(3,1,3,'Zürich delivery','open','low',3,NULL,1,NULL,1795277365670,1795277365670,'vip',0);
INSERT INTO tickets VALUES(4,1,4,'Ångström widget','open','high',4,2,1,NULL,1795277365698,1795277365698,'',0);
INSERT INTO tickets VALUES(5,1,5,'Großes Problem','snoozed','normal',5,NULL,1,NULL,1795277365726,1795277365726,'',1795273765000);
INSERT INTO tickets VALUES(6,1,6,'Señal perdida','closed','normal',6,NULL,1,NULL,1795277365756,1795277365756,'',0);
INSERT INTO tickets VALUES(7,2,1,'Secret other-property crème','open','normal',7,NULL,2,NULL,1795277365783,1795277365783,'vip',0);
CREATE TABLE ticket_participants (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    role       TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, contact_id)
);
INSERT INTO ticket_participants VALUES(1,1,'requester');
INSERT INTO ticket_participants VALUES(2,2,'requester');
INSERT INTO ticket_participants VALUES(3,3,'requester');
INSERT INTO ticket_participants VALUES(4,4,'requester');
INSERT INTO ticket_participants VALUES(5,5,'requester');
INSERT INTO ticket_participants VALUES(6,6,'requester');
INSERT INTO ticket_participants VALUES(7,7,'requester');
CREATE TABLE blobs (
    sha256 TEXT    PRIMARY KEY,
    size   INTEGER NOT NULL,
    data   BLOB    NOT NULL
);
INSERT INTO blobs VALUES('5eb9b1e5efd5379d372de529e169c03ded7ec54f7261230156cd842a1fc6a28e',151,X'46726f6d3a20416e61203c616e614061636d652e746573743e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a2052653a20736f6d657468696e670d0a4d6573736167652d49443a203c68314061636d652e746573743e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a0d0a23636c6f73650d0a');
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    property_id    INTEGER NOT NULL REFERENCES properties(id),
    ticket_id      INTEGER NOT NULL REFERENCES tickets(id),
    direction      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    author_id      INTEGER NOT NULL,
    author_email   TEXT    NOT NULL,
    author_name    TEXT    NOT NULL,
    message_id     TEXT    NOT NULL,
    synthetic_id   INTEGER NOT NULL,
    in_reply_to    TEXT    NOT NULL,
    refs           TEXT    NOT NULL,
    reply_to       TEXT    NOT NULL,
    to_addrs       TEXT    NOT NULL,
    cc_addrs       TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    sent_at        INTEGER NOT NULL,
    text_body      TEXT    NOT NULL,
    html_body      TEXT    NOT NULL,
    raw_sha256     TEXT    NOT NULL,
    raw_size       INTEGER NOT NULL,
    content_hash   TEXT    NOT NULL,
    warnings       TEXT    NOT NULL,
    auto_reply     INTEGER NOT NULL,
    thread         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
, raw BLOB, original_to TEXT NOT NULL DEFAULT '', forwarded_by TEXT NOT NULL DEFAULT '');
INSERT INTO messages VALUES(1,1,1,'inbound','email',1,'c1@example.com','Cliente 1','m1@example.com',0,'','','','support@acme.test','','Crème brûlée order',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 1 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','b386a0c9c78aab25a89a1ed366f9c390915e6fdb6ba941a54232af9c457c63c5',341,'eae23cdd1eb67ad0cb1e042df034b8d30f048c6bfd241435ff3b5483ed1cb56c','',1,'rule=new',1795277365614,X'46726f6d3a20436c69656e74652031203c6331406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a204372c3a86d65206272c3bb6cc3a965206f726465720d0a4d6573736167652d49443a203c6d31406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203120657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(2,1,2,'inbound','email',2,'c2@example.com','Cliente 2','m2@example.com',0,'','','','support@acme.test','','Facture impayée',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 2 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','cf2652a716a05b5ae22ad0961f83cab4311f90b1782e3ddb76869fe3a9b91ccd',336,'841bdadb7059544a19927c1ce85b73bb6f0fa55bfa3010f7e2ee90d22cfc32d6','',1,'rule=new',1795277365641,X'46726f6d3a20436c69656e74652032203c6332406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a204661637475726520696d706179c3a9650d0a4d6573736167652d49443a203c6d32406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203220657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(3,1,3,'inbound','email',3,'c3@example.com','Cliente 3','m3@example.com',0,'','','','support@acme.test','','Zürich delivery',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 3 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','379f3d914411471f1f22e00de9140f4ab2555ec4364055fa803c14697c4566fb',336,'4793d3db5a59b04fb2270a440d1025b95c0737f94567a609704451ecd40f7201','',1,'rule=new',1795277365671,X'46726f6d3a20436c69656e74652033203c6333406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a205ac3bc726963682064656c69766572790d0a4d6573736167652d49443a203c6d33406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203320657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(4,1,4,'inbound','email',4,'c4@example.com','Cliente 4','m4@example.com',0,'','','','support@acme.test','','Ångström widget',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 4 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','72f46785616443d8ea516b811ea9965092f4b7aa5505e923c8849374e8064fa7',337,'fdb60bc91b37d1f387ad0dba38be0bf9ab0549d856ffa6d0024096c3f53824cb','',1,'rule=new',1795277365699,X'46726f6d3a20436c69656e74652034203c6334406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a20c3856e67737472c3b66d207769646765740d0a4d6573736167652d49443a203c6d34406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203420657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(5,1,5,'inbound','email',5,'c5@example.com','Cliente 5','m5@example.com',0,'','','','support@acme.test','','Großes Problem',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 5 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','6021a56933b7f69da78856770cf6eed859b73187edef84538d1f87acb919eaa2',335,'66d9fed145e618d7d341dac343bc6f8eb347f0bb6ba8c5b3a98e4142b7439e15','',1,'rule=new',1795277365726,X'46726f6d3a20436c69656e74652035203c6335406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a2047726fc39f65732050726f626c656d0d0a4d6573736167652d49443a203c6d35406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203520657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(6,1,6,'inbound','email',6,'c6@example.com','Cliente 6','m6@example.com',0,'','','','support@acme.test','','Señal perdida',1793613600000,replace(replace('Bonjour, la crème brûlée numéro 6 est arrivée froide. Übermäßig enttäuschend.\r\n','\r',char(13)),'\n',char(10)),'','2d5bdf250c31caa041d6a808c811ec820c5d2c03da670d77117791a887b31375',334,'5c80a2cb3307e188a87b44f30c4640ee6e5ebf4ce973736f91a220a7a9d867f5','',1,'rule=new',1795277365758,X'46726f6d3a20436c69656e74652036203c6336406578616d706c652e636f6d3e0d0a546f3a20737570706f72744061636d652e746573740d0a5375626a6563743a205365c3b1616c20706572646964610d0a4d6573736167652d49443a203c6d36406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a4d494d452d56657273696f6e3a20312e300d0a436f6e74656e742d547970653a20746578742f706c61696e3b20636861727365743d7574662d380d0a436f6e74656e742d5472616e736665722d456e636f64696e673a20386269740d0a0d0a426f6e6a6f75722c206c61206372c3a86d65206272c3bb6cc3a965206e756dc3a9726f203620657374206172726976c3a9652066726f6964652e20c39c6265726dc3a4c39f696720656e7474c3a475736368656e642e0d0a','','');
INSERT INTO messages VALUES(7,2,7,'inbound','email',7,'oc@example.com','Other Customer','o1@example.com',0,'','','','help@other.test','','Secret other-property crème',1793613600000,replace(replace('confidential brÃ»lÃ©e\r\n','\r',char(13)),'\n',char(10)),'','69f2fe74681a2de6e03ae29c3938f01a4ffc7f78f5c2916602da49887d42dfeb',193,'2404592402650257a8a167b89332fb6af70b71089ab369fde16b89f76ce5350e','',1,'rule=new',1795277365784,X'46726f6d3a204f7468657220437573746f6d6572203c6f63406578616d706c652e636f6d3e0d0a546f3a2068656c70406f746865722e746573740d0a5375626a6563743a20536563726574206f746865722d70726f7065727479206372c3a86d650d0a4d6573736167652d49443a203c6f31406578616d706c652e636f6d3e0d0a446174653a204d6f6e2c203032204e6f7620323032362031303a30303a3030202b303030300d0a0d0a636f6e666964656e7469616c206272c3bb6cc3a9650d0a','','');
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL,
    content_id   TEXT    NOT NULL,
    inline       INTEGER NOT NULL
);
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO events VALUES(1,1,'created','c1@example.com','opened by inbound mail',1795277365614);
INSERT INTO events VALUES(2,2,'created','c2@example.com','opened by inbound mail',1795277365641);
INSERT INTO events VALUES(3,3,'created','c3@example.com','opened by inbound mail',1795277365670);
INSERT INTO events VALUES(4,4,'created','c4@example.com','opened by inbound mail',1795277365699);
INSERT INTO events VALUES(5,5,'created','c5@example.com','opened by inbound mail',1795277365726);
INSERT INTO events VALUES(6,6,'created','c6@example.com','opened by inbound mail',1795277365758);
INSERT INTO events VALUES(7,7,'created','oc@example.com','opened by inbound mail',1795277365784);
CREATE TABLE thread_ids (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    msg_id      TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id)
);
INSERT INTO thread_ids VALUES(1,'m1@example.com','inbound',1);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaibe6rwprnz6rwap64a.XEGXKTROLEVK@acme.test','outbound',1);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaic2dkx7ituqpo2qkms.GP7VCBIWB7ZV@acme.test','outbound',1);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaidjcw7aowmsvxcvlsr.DWFUN2XV7GGN@acme.test','outbound',1);
INSERT INTO thread_ids VALUES(1,'m2@example.com','inbound',2);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaqbbslkn4kjdbreqxig.YFNSQQOOXXZI@acme.test','outbound',2);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaqc3l4iddrdkb7rdzv2.IFVXSV5TFUNS@acme.test','outbound',2);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaqdb7ih5rkcs2z3ss2b.G5QFQQN2FV26@acme.test','outbound',2);
INSERT INTO thread_ids VALUES(1,'m3@example.com','inbound',3);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcayb6f3fcb3r4odzh6tw.56QY6LIOQESU@acme.test','outbound',3);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcayc5b2ez32of577tmpj.ACDPENWWOORF@acme.test','outbound',3);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcaydbxry6ebc2mqfjvii.LPE7DTECAAWM@acme.test','outbound',3);
INSERT INTO thread_ids VALUES(1,'m4@example.com','inbound',4);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbaboylcelsc6rjadl2d.D34RBJACVXY3@acme.test','outbound',4);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbacqzi2h7netpimssex.EPZT2KF3K5AU@acme.test','outbound',4);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbadyjknocasrc35b2ji.72XBGE3RQJA4@acme.test','outbound',4);
INSERT INTO thread_ids VALUES(1,'m5@example.com','inbound',5);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbibk7zlrqao6qg55b6p.CT24PSZTYIQH@acme.test','outbound',5);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbic6zke543k4sm4i7u6.AUFFH3FIKR5V@acme.test','outbound',5);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbidljlf65daozvk6exc.JTHE5YI5MXLQ@acme.test','outbound',5);
INSERT INTO thread_ids VALUES(1,'m6@example.com','inbound',6);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbqbxmyeu7nbmw2aryj5.4EKJZIYUVYWZ@acme.test','outbound',6);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbqcvyrov74url2jhv33.NKKUFGJB525J@acme.test','outbound',6);
INSERT INTO thread_ids VALUES(1,'pd.nuaqcbqd2vtvspz2kkxvsc33.VSIGZ6CBVTL2@acme.test','outbound',6);
INSERT INTO thread_ids VALUES(2,'o1@example.com','inbound',7);
INSERT INTO thread_ids VALUES(2,'pd.nuaqebyes62x5n5g662lxm2w.ENCA2CPYAGLO@other.test','outbound',7);
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings VALUES('thread-key-1','61c470687e29a627980e4fae6e731155315e0b4bc8545b2723931817aee9ce78');
INSERT INTO settings VALUES('instance-id','vm-E6MVLU3JLV');
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    property_id  INTEGER NOT NULL REFERENCES properties(id),
    ticket_id    INTEGER REFERENCES tickets(id),
    message_id   INTEGER REFERENCES messages(id),
    kind         TEXT    NOT NULL,  -- ack, copy, reply, notice
    rcpt         TEXT    NOT NULL,
    rcpt_kind    TEXT    NOT NULL,  -- contact or member
    rcpt_id      INTEGER NOT NULL,
    msg_id       TEXT    NOT NULL,
    subject      TEXT    NOT NULL,  -- for notices
    body         TEXT    NOT NULL,  -- for notices
    status       TEXT    NOT NULL,  -- queued, sent, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL DEFAULT 0
, topic TEXT NOT NULL DEFAULT '', rcpt_base TEXT NOT NULL DEFAULT '');
INSERT INTO outbox VALUES(1,1,1,1,'copy','boss@acme.test','member',1,'pd.nuaqcaibe6rwprnz6rwap64a.XEGXKTROLEVK@acme.test','','','queued',0,1795277365615,'',1795277365615,0,'','boss@acme.test');
INSERT INTO outbox VALUES(2,1,1,1,'copy','ana@acme.test','member',2,'pd.nuaqcaic2dkx7ituqpo2qkms.GP7VCBIWB7ZV@acme.test','','','queued',0,1795277365615,'',1795277365615,0,'','ana@acme.test');
INSERT INTO outbox VALUES(3,1,1,1,'copy','bob@acme.test','member',3,'pd.nuaqcaidjcw7aowmsvxcvlsr.DWFUN2XV7GGN@acme.test','','','queued',0,1795277365615,'',1795277365615,0,'','bob@acme.test');
INSERT INTO outbox VALUES(4,1,2,2,'copy','boss@acme.test','member',1,'pd.nuaqcaqbbslkn4kjdbreqxig.YFNSQQOOXXZI@acme.test','','','queued',0,1795277365642,'',1795277365642,0,'','boss@acme.test');
INSERT INTO outbox VALUES(5,1,2,2,'copy','ana@acme.test','member',2,'pd.nuaqcaqc3l4iddrdkb7rdzv2.IFVXSV5TFUNS@acme.test','','','queued',0,1795277365642,'',1795277365642,0,'','ana@acme.test');
INSERT INTO outbox VALUES(6,1,2,2,'copy','bob@acme.test','member',3,'pd.nuaqcaqdb7ih5rkcs2z3ss2b.G5QFQQN2FV26@acme.test','','','queued',0,1795277365643,'',1795277365643,0,'','bob@acme.test');
INSERT INTO outbox VALUES(7,1,3,3,'copy','boss@acme.test','member',1,'pd.nuaqcayb6f3fcb3r4odzh6tw.56QY6LIOQESU@acme.test','','','queued',0,1795277365671,'',1795277365671,0,'','boss@acme.test');
INSERT INTO outbox VALUES(8,1,3,3,'copy','ana@acme.test','member',2,'pd.nuaqcayc5b2ez32of577tmpj.ACDPENWWOORF@acme.test','','','queued',0,1795277365671,'',1795277365671,0,'','ana@acme.test');
INSERT INTO outbox VALUES(9,1,3,3,'copy','bob@acme.test','member',3,'pd.nuaqcaydbxry6ebc2mqfjvii.LPE7DTECAAWM@acme.test','','','queued',0,1795277365671,'',1795277365671,0,'','bob@acme.test');
INSERT INTO outbox VALUES(10,1,4,4,'copy','boss@acme.test','member',1,'pd.nuaqcbaboylcelsc6rjadl2d.D34RBJACVXY3@acme.test','','','queued',0,1795277365700,'',1795277365700,0,'','boss@acme.test');
INSERT INTO outbox VALUES(11,1,4,4,'copy','ana@acme.test','member',2,'pd.nuaqcbacqzi2h7netpimssex.EPZT2KF3K5AU@acme.test','','','queued',0,1795277365700,'',1795277365700,0,'','ana@acme.test');
INSERT INTO outbox VALUES(12,1,4,4,'copy','bob@acme.test','member',3,'pd.nuaqcbadyjknocasrc35b2ji.72XBGE3RQJA4@acme.test','','','queued',0,1795277365700,'',1795277365700,0,'','bob@acme.test');
INSERT INTO outbox VALUES(13,1,5,5,'copy','boss@acme.test','member',1,'pd.nuaqcbibk7zlrqao6qg55b6p.CT24PSZTYIQH@acme.test','','','queued',0,1795277365727,'',1795277365727,0,'','boss@acme.test');
INSERT INTO outbox VALUES(14,1,5,5,'copy','ana@acme.test','member',2,'pd.nuaqcbic6zke543k4sm4i7u6.AUFFH3FIKR5V@acme.test','','','queued',0,1795277365727,'',1795277365727,0,'','ana@acme.test');
INSERT INTO outbox VALUES(15,1,5,5,'copy','bob@acme.test','member',3,'pd.nuaqcbidljlf65daozvk6exc.JTHE5YI5MXLQ@acme.test','','','queued',0,1795277365727,'',1795277365727,0,'','bob@acme.test');
INSERT INTO outbox VALUES(16,1,6,6,'copy','boss@acme.test','member',1,'pd.nuaqcbqbxmyeu7nbmw2aryj5.4EKJZIYUVYWZ@acme.test','','','queued',0,1795277365758,'',1795277365758,0,'','boss@acme.test');
INSERT INTO outbox VALUES(17,1,6,6,'copy','ana@acme.test','member',2,'pd.nuaqcbqcvyrov74url2jhv33.NKKUFGJB525J@acme.test','','','queued',0,1795277365759,'',1795277365759,0,'','ana@acme.test');
INSERT INTO outbox VALUES(18,1,6,6,'copy','bob@acme.test','member',3,'pd.nuaqcbqd2vtvspz2kkxvsc33.VSIGZ6CBVTL2@acme.test','','','queued',0,1795277365759,'',1795277365759,0,'','bob@acme.test');
INSERT INTO outbox VALUES(19,2,7,7,'copy','eve@other.test','member',4,'pd.nuaqebyes62x5n5g662lxm2w.ENCA2CPYAGLO@other.test','','','queued',0,1795277365784,'',1795277365784,0,'','eve@other.test');
CREATE TABLE suppressions (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    address     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL, ticket_id INTEGER REFERENCES tickets(id), bounce_id INTEGER REFERENCES bounces(id),
    PRIMARY KEY (property_id, address)
);
CREATE TABLE bounces (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    outbox_id   INTEGER REFERENCES outbox(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    recipient   TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    diagnostic  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,  -- dsn, arf, other
    raw_sha256  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
, verified INTEGER NOT NULL DEFAULT 0);
CREATE TABLE held (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    reason      TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    raw_sha256  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
, env_from TEXT NOT NULL DEFAULT '', env_to TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'held', resolved_by TEXT NOT NULL DEFAULT '', resolved_at INTEGER NOT NULL DEFAULT 0);
INSERT INTO held VALUES(1,1,'mail from a member''s address without that member''s reply token','ana@acme.test','Re: something','5eb9b1e5efd5379d372de529e169c03ded7ec54f7261230156cd842a1fc6a28e',1795277365811,'','support@acme.test','held','',0);
CREATE TABLE proposed_participants (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (message_id, email)
);
CREATE TABLE pending_notices (
    id          INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES properties(id),
    ticket_id   INTEGER REFERENCES tickets(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    rcpt        TEXT    NOT NULL,
    topic       TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE imap_mailboxes (
    id             INTEGER PRIMARY KEY,
    property_id    INTEGER NOT NULL REFERENCES properties(id),
    url            TEXT    NOT NULL UNIQUE,
    password_file  TEXT    NOT NULL DEFAULT '',
    password_env   TEXT    NOT NULL DEFAULT '',
    move_to        TEXT    NOT NULL DEFAULT '',
    uid_validity   INTEGER NOT NULL DEFAULT 0,
    last_uid       INTEGER NOT NULL DEFAULT 0,
    imported       INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    last_import_at INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT    NOT NULL DEFAULT '',
    last_error_at  INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE TABLE forwarding (
    property_id   INTEGER NOT NULL REFERENCES properties(id),
    mailbox       TEXT    NOT NULL,
    provider      TEXT    NOT NULL DEFAULT '',
    code          TEXT    NOT NULL DEFAULT '',
    link          TEXT    NOT NULL DEFAULT '',
    confirm_sha256 TEXT   NOT NULL DEFAULT '',
    confirm_at    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (property_id, mailbox)
);
CREATE TABLE import_checkpoints (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    source      TEXT NOT NULL,
    position    TEXT NOT NULL,
    imported    INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (property_id, source)
);
CREATE TABLE sender_windows (
    property_id  INTEGER NOT NULL REFERENCES properties(id),
    sender       TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    tickets      INTEGER NOT NULL,
    PRIMARY KEY (property_id, sender)
) WITHOUT ROWID;
INSERT INTO sender_windows VALUES(1,'c1@example.com',1795277365613,1);
INSERT INTO sender_windows VALUES(1,'c2@example.com',1795277365640,1);
INSERT INTO sender_windows VALUES(1,'c3@example.com',1795277365670,1);
INSERT INTO sender_windows VALUES(1,'c4@example.com',1795277365698,1);
INSERT INTO sender_windows VALUES(1,'c5@example.com',1795277365724,1);
INSERT INTO sender_windows VALUES(1,'c6@example.com',1795277365756,1);
INSERT INTO sender_windows VALUES(2,'oc@example.com',1795277365783,1);
CREATE TABLE hourly_counts (
    property_id INTEGER NOT NULL REFERENCES properties(id),
    what        TEXT    NOT NULL,
    hour        INTEGER NOT NULL, -- Unix time / 3600
    n           INTEGER NOT NULL,
    PRIMARY KEY (property_id, what)
) WITHOUT ROWID;
CREATE INDEX property_addresses_property ON property_addresses(property_id);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_dedup ON messages(property_id, message_id, content_hash);
CREATE INDEX attachments_message ON attachments(message_id);
CREATE INDEX events_ticket ON events(ticket_id, id);
CREATE UNIQUE INDEX thread_ids_lookup ON thread_ids(property_id, msg_id, kind, ticket_id);
CREATE INDEX tickets_status ON tickets(property_id, status, number);
CREATE INDEX outbox_due ON outbox(status, next_attempt);
CREATE INDEX outbox_rate ON outbox(property_id, rcpt, kind, created_at);
CREATE INDEX bounces_ticket ON bounces(ticket_id);
CREATE INDEX proposed_participants_ticket ON proposed_participants(ticket_id);
CREATE INDEX bounces_property ON bounces(property_id, id);
CREATE INDEX outbox_notice_topic ON outbox(property_id, rcpt_id, topic, created_at) WHERE kind = 'notice';
CREATE INDEX pending_notices_group ON pending_notices(property_id, member_id, topic, id);
CREATE INDEX outbox_kind_time ON outbox(property_id, kind, created_at);
CREATE INDEX outbox_base_time ON outbox(property_id, kind, rcpt_base, created_at);
CREATE INDEX outbox_ticket_rcpt ON outbox(ticket_id, rcpt_kind, rcpt_id, id);
COMMIT;
